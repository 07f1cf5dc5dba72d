"""The person tags rosters use; special-population tags are marked sensitive."""

from django.db import migrations

TAGS = [
    ("left_behind_child", "留守儿童", False),
    ("elderly_living_alone", "独居老人", False),
    ("disabled", "残疾人", False),
    ("subsistence_allowance", "低保户", False),
    ("veteran", "退役军人", False),
    ("party_member", "党员", False),
    ("special_population", "特殊人群", True),
    ("released_prisoner", "刑满释放人员", True),
    ("community_correction", "社区矫正对象", True),
    ("drug_user", "吸毒人员", True),
    ("severe_mental_disorder", "严重精神障碍患者", True),
    ("key_youth", "重点青少年", True),
]


def add_tags(apps, schema_editor):
    PersonTag = apps.get_model("territory", "PersonTag")
    for code, name, sensitive in TAGS:
        PersonTag.objects.update_or_create(
            code=code, defaults={"name": name, "sensitive": sensitive}
        )


def remove_tags(apps, schema_editor):
    apps.get_model("territory", "PersonTag").objects.filter(
        code__in=[code for code, _, _ in TAGS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("territory", "0001_initial")]

    operations = [migrations.RunPython(add_tags, remove_tags)]
