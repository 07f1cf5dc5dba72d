"""The matters departments commonly answer for (谁主管、谁负责), editable in the admin."""

from django.db import migrations

MATTERS = [
    ("household_registration", "户籍与身份证件"),
    ("public_security", "治安"),
    ("traffic", "道路交通"),
    ("fraud", "电信网络诈骗"),
    ("drugs", "禁毒"),
    ("mediation", "人民调解"),
    ("legal_aid", "法律援助"),
    ("community_correction", "社区矫正"),
    ("petitions", "信访"),
    ("forest_land", "山林土地"),
    ("homestead", "房屋宅基地"),
    ("land_acquisition", "征地拆迁"),
    ("wages", "拖欠农民工工资"),
    ("labour", "劳动争议"),
    ("environment", "环境污染"),
    ("property_management", "物业管理"),
    ("fire_safety", "消防安全"),
    ("social_assistance", "社会救助与低保"),
    ("minors", "未成年人保护"),
    ("market", "消费与市场监管"),
]


def add(apps, schema_editor):
    Matter = apps.get_model("org", "Matter")
    for code, name in MATTERS:
        Matter.objects.update_or_create(code=code, defaults={"name": name})


def remove(apps, schema_editor):
    apps.get_model("org", "Matter").objects.filter(code__in=[c for c, _ in MATTERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
