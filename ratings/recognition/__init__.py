"""榜样评选 and 礼遇: recognition rounds (models in ratings.models), their figures, services and selectors."""
