"""Azure API Management in front of NAV's APIs: subscription key, bearer token, scope and rate limit, in its order.

Each check that fails raises the GatewayError API Management answers (its `{"statusCode", "message"}` envelope
and RFC 6750 challenges); `Gateway.admit` is the whole of it.
"""

from emulator.gateway.admission import Admission, Credentials, Gateway
from emulator.gateway.ratelimit import RateLimiter, rate_limit_message

__all__ = [
    "Admission",
    "Credentials",
    "Gateway",
    "RateLimiter",
    "rate_limit_message",
]
