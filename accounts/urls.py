from django.urls import URLPattern

# The create-an-ID journey (name and e-mail -> link -> choose a password) is ours; allauth
# does the rest. Patterns here are resolved before allauth's.
urlpatterns: list[URLPattern] = []
