"""The security suite runs against the same binary as the end-to-end tests."""


def test_binary_is_built(custos_bin):
    assert custos_bin.is_file(), f"{custos_bin} is missing: run `make build` first"
