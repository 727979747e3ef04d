from citybrain.core.pinyin import PinyinIndex, keys_for, score


def test_keys_are_text_full_pinyin_and_initials() -> None:
    assert keys_for("开饭店") == ("开饭店", "kaifandian", "kfd")


def test_initials_full_pinyin_and_chinese_all_find_the_alias() -> None:
    index: PinyinIndex[str] = PinyinIndex()
    index.add("开办餐饮店", ["开办餐饮店", "开饭店", "开餐馆"])
    index.add("新生儿出生", ["新生儿出生一件事", "生孩子"])
    index.add("不动产转移登记", ["二手房转移登记", "卖房"])
    for query in ("kfd", "kaifandian", "KaiFanDian", "开饭店", "餐饮", "kbcyd"):
        assert index.search(query) == ["开办餐饮店"], query
    assert index.search("shz") == ["新生儿出生"]
    assert index.search("zzz") == []
    assert index.search("   ") == []


def test_the_official_name_outranks_an_alias() -> None:
    assert score("kfd", ["开饭店"]) > score("kfd", ["开办餐饮店", "开饭店"])
