from citybrain.core.logging import mask_text


def test_personal_numbers_are_masked_in_log_text() -> None:
    line = "caller 13812345678 id 11010519491231002X order 2026021300001"
    masked = mask_text(line)
    assert "13812345678" not in masked and "11010519491231002X" not in masked
    assert "138****5678" in masked and "1101**********002X" in masked


def test_phone_numbers_written_every_usual_way_are_masked() -> None:
    for written in [
        "+8613812345678",
        "8613812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138 1234 5678",
    ]:
        masked = mask_text(f"请回电 {written} 谢谢")
        assert "1234" not in masked.replace("****", ""), (written, masked)
        assert "138****5678" in masked
