"""/api/v1/funds/…: the ledger and balances for staff in scope, the public report (公示) and campaigns for
everyone, pledges for signed-in residents, receipt confirmation and approvals for staff who change.
Thin: scoped querysets and selectors read, services write (their refusals map to the API's error shape)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope, IsStaffWhoChanges
from accounts.models import College
from accounts.selectors import scope_for
from activities.models import Term
from community_college.exceptions import errors
from dashboards.api.views import XLSX_RESPONSE, XlsxView, _json_errors
from funds import selectors, services
from funds.models import Campaign, Expense, Pledge, Posting
from funds.reports import ledger_workbook

from .serializers import (
    BalanceSerializer,
    CampaignSerializer,
    PledgeCreateSerializer,
    PledgeSerializer,
    PostingSerializer,
    ReceiveSerializer,
    ReportSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@extend_schema(tags=["funds"])
class PostingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The ledger, newest first, with each posting's entries (debit +, credit −)."""

    permission_classes = [IsStaffInScope]
    serializer_class = PostingSerializer

    def get_queryset(self):
        qs = Posting.objects.select_related("created_by").prefetch_related("entries__account").order_by("-occurred_on", "-id")
        qs = scope_for(self.request.user).filter(qs, "college__community")
        college = self.request.query_params.get("college", "")
        return qs.filter(college_id=int(college)) if college.isdigit() else qs

    @extend_schema(
        summary="Ledger postings in my scope",
        parameters=[OpenApiParameter("college", int, description="Only this college")],
        responses={200: PostingSerializer(many=True), **errors(404)},  # 404: a page past the last
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One posting and its entries", responses={200: PostingSerializer, **errors(404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


@extend_schema(tags=["funds"])
class BalancesView(GenericAPIView):
    permission_classes = [IsStaffInScope]
    serializer_class = BalanceSerializer
    pagination_class = None  # one row per account: the whole list, as the schema says
    queryset = Posting.objects.none()  # for the schema: the balances are read by a selector

    @extend_schema(summary="The balance of every fund account in my scope", responses={200: BalanceSerializer(many=True), **errors()})
    def get(self, request):
        scope = scope_for(request.user)
        ids = None if scope.everything else list(
            College.objects.filter(community_id__in=scope.community_ids).values_list("id", flat=True)
        )
        rows = [
            {"college": college, "account": code, "balance": balance}
            for (college, code), balance in sorted(selectors.balances(college_ids=ids).items())
        ]
        return Response(BalanceSerializer(rows, many=True).data)


def _term(request, college_id):
    wanted = request.query_params.get("term", "")
    if wanted.isdigit():
        return get_object_or_404(Term, pk=int(wanted))
    return selectors.default_term(college_id=college_id)


@extend_schema(tags=["funds"])
class ReportView(GenericAPIView):
    """公示: open to everyone, like the public page; names only of givers who chose to be named."""

    permission_classes = [AllowAny]
    serializer_class = ReportSerializer

    @extend_schema(
        summary="A college's published funds report for a term",
        parameters=[OpenApiParameter("term", int, description="The term (default: the current one)")],
        responses={200: ReportSerializer, **errors(404)},
    )
    def get(self, request, pk: int):
        college = get_object_or_404(College, pk=pk)
        term = _term(request, college.pk)
        if term is None:
            raise Http404
        report = selectors.college_report(college_id=college.pk, term=term)
        data = {
            "college": college.pk,
            "term": term.pk,
            "income": [{"code": c, "amount": a} for c, a in report.income.items()],
            "spending": [{"code": c, "amount": a} for c, a in report.spending.items()],
            "months": report.months,
            "campaigns": report.campaigns,
            "named_givers": [{"name": n, "source": s, "amount": a} for n, s, a in report.named_donors],
        }
        return Response(ReportSerializer(data).data)


@extend_schema(tags=["funds"])
class LedgerXlsxView(XlsxView):
    @extend_schema(
        operation_id="funds_ledger_xlsx",
        summary="A college's ledger and term report as an .xlsx workbook (formula-safe text)",
        parameters=[OpenApiParameter("term", int, description="The term (default: the current one)")],
        responses={**XLSX_RESPONSE, **_json_errors(404)},
    )
    def get(self, request, pk: int):
        college = get_object_or_404(College, pk=pk)
        if not scope_for(request.user).covers(college.community_id):
            raise Http404
        response = HttpResponse(ledger_workbook(college=college, term=_term(request, college.pk)), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="funds-{college.pk}-{timezone.localdate().isoformat()}.xlsx"'
        return response


@extend_schema(tags=["funds"])
class CampaignViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    serializer_class = CampaignSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.open_campaigns()

    @extend_schema(summary="Campaigns open for pledges, with what is raised", responses={200: CampaignSerializer(many=True), **errors()})
    def list(self, request, *args, **kwargs):
        items = list(self.get_queryset())
        rows = {row.id: row for row in selectors.campaign_rows(items)}
        return Response(CampaignSerializer(items, many=True, context={"rows": rows}).data)


@extend_schema(tags=["funds"])
class PledgeCreateView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PledgeCreateSerializer

    @extend_schema(
        summary="Pledge to a campaign (money is paid offline; staff confirm it)",
        request=PledgeCreateSerializer,
        responses={201: PledgeSerializer, **errors(400, 404, 409)},
    )
    def post(self, request, pk: int):
        campaign = get_object_or_404(Campaign.objects.select_related("college"), pk=pk)
        body = PledgeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pledge = services.pledge_create(campaign=campaign, pledger=request.user, **body.validated_data)
        return Response(PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["funds"])
class PledgeReceiveView(GenericAPIView):
    permission_classes = [IsStaffWhoChanges]
    serializer_class = ReceiveSerializer

    @extend_schema(
        summary="Confirm a pledge's money arrived: posts it and thanks the giver",
        request=ReceiveSerializer,
        responses={200: PledgeSerializer, **errors(400, 404, 409)},
    )
    def post(self, request, pk: int):
        qs = scope_for(request.user).filter(Pledge.objects.all(), "campaign__college__community")
        pledge = get_object_or_404(qs, pk=pk)
        body = ReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.pledge_receive(pledge=pledge, actor=request.user, method=body.validated_data["method"])
        return Response(PledgeSerializer(done).data)


@extend_schema(tags=["funds"])
class ExpenseApproveView(GenericAPIView):
    permission_classes = [IsStaffWhoChanges]
    serializer_class = None

    @extend_schema(
        summary="Approve and post an expense (four eyes above the threshold; never beyond the budget line)",
        request=None,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The posted expense's id and status"), **errors(400, 404, 409)},
    )
    def post(self, request, pk: int):
        qs = scope_for(request.user).filter(Expense.objects.all(), "college__community")
        expense = get_object_or_404(qs, pk=pk)
        done = services.expense_approve(expense=expense, actor=request.user)
        return Response({"id": done.pk, "status": done.status})
