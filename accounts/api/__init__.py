"""The REST API (/api/v1/) of this app: thin views over the app's selectors and services."""
