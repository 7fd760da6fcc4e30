"""Pages of the booking app (included at the site root as namespace "booking")."""

from django.urls import path

from . import views

app_name = "booking"

urlpatterns = [
    path("bookings/<str:pnr>/ticket/", views.ticket, name="ticket"),
]
