from citybrain.core.logging import mask_text


def test_personal_numbers_are_masked_in_log_text() -> None:
    line = "caller 13812345678 id 11010519491231002X order 2026021300001"
    masked = mask_text(line)
    assert "13812345678" not in masked and "11010519491231002X" not in masked
    assert "138****5678" in masked and "1101**********002X" in masked
