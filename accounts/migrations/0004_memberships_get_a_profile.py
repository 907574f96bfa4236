"""Existing members get a profile: a super user the Super user template, everyone else
Read only (they could read before; nothing they could do is taken away but writing, which
no page offered yet)."""

from django.db import migrations


def forwards(apps, schema_editor):
    AccessProfile = apps.get_model("accounts", "AccessProfile")
    Membership = apps.get_model("accounts", "Membership")
    super_user, _ = AccessProfile.objects.get_or_create(template="super_user", company=None)
    read_only, _ = AccessProfile.objects.get_or_create(template="read_only", company=None)
    Membership.objects.filter(is_super_user=True).update(profile=super_user)
    Membership.objects.filter(is_super_user=False).update(profile=read_only)


def backwards(apps, schema_editor):
    Membership = apps.get_model("accounts", "Membership")
    Membership.objects.filter(profile__template="super_user").update(is_super_user=True)
    Membership.objects.exclude(profile__template="super_user").update(is_super_user=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_access_profiles")]

    operations = [migrations.RunPython(forwards, backwards)]
