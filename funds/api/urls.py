from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("funds/postings", views.PostingViewSet, basename="funds-posting")
router.register("funds/campaigns", views.CampaignViewSet, basename="funds-campaign")

urlpatterns = [
    path("funds/balances/", views.BalancesView.as_view(), name="funds-balances"),
    path("funds/colleges/<int:pk>/report/", views.ReportView.as_view(), name="funds-report"),
    path("funds/colleges/<int:pk>/ledger.xlsx", views.LedgerXlsxView.as_view(), name="funds-ledger-xlsx"),
    path("funds/campaigns/<int:pk>/pledges/", views.PledgeCreateView.as_view(), name="funds-pledge"),
    path("funds/pledges/<int:pk>/receive/", views.PledgeReceiveView.as_view(), name="funds-pledge-receive"),
    path("funds/expenses/<int:pk>/approve/", views.ExpenseApproveView.as_view(), name="funds-expense-approve"),
    *router.urls,
]
