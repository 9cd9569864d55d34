from django.urls import path

from . import views

app_name = "interests"

urlpatterns = [
    path("me/profile/", views.profile, name="profile"),
    path("interests/", views.search, name="search"),
    path("me/orders/", views.my_orders, name="my_orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("groups/", views.groups, name="groups"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/join/", views.group_join, name="group_join"),
    path("groups/<int:pk>/leave/", views.group_leave, name="group_leave"),
]
