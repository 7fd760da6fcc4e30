from django.urls import path

from . import views

urlpatterns = [
    path("operate-with-us/", views.operate_with_us, name="operate-with-us"),
    path("operate-with-us/thanks/", views.operate_with_us_thanks, name="operate-with-us-thanks"),
]
