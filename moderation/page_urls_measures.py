from django.urls import path

from . import views_measures

urlpatterns = [path("me/measures/", views_measures.my_measures_page, name="my-measures")]
