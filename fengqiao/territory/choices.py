from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township or street")
    VILLAGE = "village", _("Village or community")


LEVEL_ORDER = [
    AreaLevel.PROVINCE,
    AreaLevel.CITY,
    AreaLevel.COUNTY,
    AreaLevel.TOWNSHIP,
    AreaLevel.VILLAGE,
]


class AreaKind(models.TextChoices):
    """The form of the unit, as the division code list names it."""

    PROVINCE = "province", _("Province")
    CITY = "city", _("Prefecture-level city")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_CITY = "county_city", _("County-level city")
    AUTONOMOUS_COUNTY = "autonomous_county", _("Autonomous county")
    STREET = "street", _("Street (街道)")
    TOWN = "town", _("Town (镇)")
    TOWNSHIP = "township", _("Township (乡)")
    COMMUNITY = "community", _("Community (社区居委会)")
    VILLAGE = "village", _("Village (村委会)")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    """Relation to the household head (与户主关系), as rosters record it."""

    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other relative")


# Roster spellings (Chinese first) of each relation, for the import.
RELATION_WORDS = {
    Relation.HEAD: ["户主", "本人"],
    Relation.SPOUSE: ["配偶", "妻", "夫", "妻子", "丈夫"],
    Relation.SON: ["子", "儿子", "长子", "次子"],
    Relation.DAUGHTER: ["女", "女儿", "长女", "次女"],
    Relation.PARENT: ["父母", "父亲", "母亲", "父", "母"],
    Relation.GRANDCHILD: ["孙子", "孙女", "孙子女", "外孙", "外孙女"],
    Relation.SIBLING: ["兄弟姐妹", "兄", "弟", "姐", "妹"],
    Relation.CHILD_IN_LAW: ["儿媳", "女婿"],
    Relation.OTHER: ["其他"],
}

# The 56 ethnic groups of China (GB 3304), plus 其他 for a foreign-born naturalised citizen.
ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 其他"
).split()
