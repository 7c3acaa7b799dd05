"""Checks of the test helpers themselves: a wrong TOTP helper would make the browser test meaningless."""

import base64

from conftest import totp


def test_totp_helper_matches_rfc6238_vectors():
    # RFC 6238 Appendix B, SHA-1 seed "12345678901234567890"; we use the low 6 of the 8 digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    for t, want in [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"),
                    (2000000000, "69279037"), (20000000000, "65353130")]:
        assert totp(secret, at=t) == want[-6:]


def test_totp_helper_ignores_grouping_spaces():
    secret = base64.b32encode(b"12345678901234567890").decode()
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    assert totp(grouped, at=59) == totp(secret, at=59)
