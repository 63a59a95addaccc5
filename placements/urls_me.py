from django.urls import path

from placements import views_me

app_name = "introductions_me"
urlpatterns = [
    path("", views_me.introduction_list, name="list"),
    path("<int:pk>/", views_me.introduction_detail, name="detail"),
    path("<int:pk>/accept/", views_me.introduction_accept_view, name="accept"),
    path("<int:pk>/decline/", views_me.introduction_decline_view, name="decline"),
]
