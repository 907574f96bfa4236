from django.urls import URLPattern, path

from accounts import views

# The create-an-ID journey (name and e-mail -> link -> choose a password) is ours; allauth
# does the rest. Patterns here are resolved before allauth's, so "account_signup" (allauth's
# name, same path) opens ours. No app_name: the names sit beside allauth's global ones.
urlpatterns: list[URLPattern] = [
    path("signup/", views.signup, name="account_signup"),
    path("signup/sent/", views.signup_sent, name="account_signup_sent"),
    path("signup/new-link/", views.signup_new_link, name="account_signup_new_link"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="account_signup_confirm"),
]
