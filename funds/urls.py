from django.urls import path

from . import views

app_name = "funds"

urlpatterns = [
    path("funds/colleges/<int:pk>/", views.public, name="public"),
    path("funds/colleges/<int:pk>/ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("funds/campaigns/", views.campaigns, name="campaigns"),
    path("funds/campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("funds/receipts/<int:pk>/", views.receipt, name="receipt"),
]
