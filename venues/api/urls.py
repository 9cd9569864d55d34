from django.urls import path

from . import views

urlpatterns = [
    path("owner/venues/", views.OwnerVenuesView.as_view(), name="owner-venues"),
    path("owner/venues/<int:pk>/week/", views.OwnerVenueWeekView.as_view(), name="owner-venue-week"),
    path("owner/bookings/", views.OwnerBookingsView.as_view(), name="owner-bookings"),
    path(
        "owner/bookings/<int:pk>/confirm/",
        views.OwnerBookingConfirmView.as_view(),
        name="owner-booking-confirm",
    ),
    path(
        "owner/bookings/<int:pk>/decline/",
        views.OwnerBookingDeclineView.as_view(),
        name="owner-booking-decline",
    ),
]
