"""Default deadline policies (the seed's rules) and a starting category tree; both are
edited in the admin afterwards."""

from django.db import migrations

CASE_TYPES = ["consultation", "help", "complaint", "suggestion", "report", "dispute", "hazard"]
LEVELS = ["grid", "village", "township", "county"]

# (code, name, matter code, children [(code, name, matter code)])
CATEGORIES = [
    ("public_security", "治安", "public_security", [
        ("noise", "噪音扰民", "public_security"),
        ("fraud", "电信网络诈骗", "fraud"),
        ("drugs", "涉毒线索", "drugs"),
    ]),
    ("registration", "户籍与证件", "household_registration", [
        ("id_card", "身份证办理", "household_registration"),
        ("hukou", "户口迁移与登记", "household_registration"),
    ]),
    ("dispute", "矛盾纠纷", "mediation", [
        ("dispute_family", "婚姻家庭纠纷", "mediation"),
        ("dispute_neighbour", "邻里纠纷", "mediation"),
        ("dispute_homestead", "房屋宅基地纠纷", "homestead"),
        ("dispute_forest_land", "山林土地纠纷", "forest_land"),
        ("dispute_wages", "拖欠农民工工资", "wages"),
        ("dispute_labour", "劳动争议", "labour"),
        ("dispute_property", "物业纠纷", "property_management"),
        ("dispute_other", "其他纠纷", "mediation"),
    ]),
    ("hazard", "安全隐患", "fire_safety", [
        ("fire", "消防隐患", "fire_safety"),
        ("road", "道路交通隐患", "traffic"),
        ("geology", "地质灾害隐患", None),
    ]),
    ("environment", "环境卫生", "environment", []),
    ("public_facilities", "公共设施", None, [
        ("stairwell_lighting", "楼道照明", "property_management"),
        ("railings", "护栏损坏", "property_management"),
    ]),
    ("social_assistance", "社会救助", "social_assistance", []),
    ("minors", "未成年人保护", "minors", []),
    ("consumer", "消费维权", "market", []),
    ("other", "其他", None, []),
]


def add(apps, schema_editor):
    DeadlinePolicy = apps.get_model("cases", "DeadlinePolicy")
    Category = apps.get_model("cases", "Category")
    Matter = apps.get_model("org", "Matter")
    matters = dict(Matter.objects.values_list("code", "id"))
    for case_type in CASE_TYPES:
        for level in LEVELS:
            DeadlinePolicy.objects.get_or_create(case_type=case_type, level=level)
    for order, (code, name, matter, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            code=code,
            defaults={"name": name, "path": code, "matter_id": matters.get(matter),
                      "sort_order": order},
        )
        for child_order, (child_code, child_name, child_matter) in enumerate(children):
            Category.objects.get_or_create(
                code=child_code,
                defaults={"name": child_name, "parent": parent, "path": f"{code}/{child_code}",
                          "matter_id": matters.get(child_matter), "sort_order": child_order},
            )


def remove(apps, schema_editor):
    apps.get_model("cases", "DeadlinePolicy").objects.all().delete()
    Category = apps.get_model("cases", "Category")
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("org", "0002_matters")]

    operations = [migrations.RunPython(add, remove)]
