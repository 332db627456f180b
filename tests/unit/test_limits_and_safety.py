from bot.limits import RateLimiter
from bot.text_safety import escape_markdown, neutralize_mentions, safe_excerpt
from tests.fakes import StepClock


def test_rate_limiter_allows_limit_then_refuses_until_window_passes():
    clock = StepClock()
    rl = RateLimiter(limit=3, window_s=60, clock=clock)
    assert [rl.hit("u") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = rl.hit("u")
    assert 59.9 < wait <= 60
    assert rl.hit("other") == 0.0  # keys are independent
    clock.t += 30
    assert 29.9 < rl.hit("u") <= 30
    clock.t += 30.01
    assert rl.hit("u") == 0.0


def test_burst_of_100_is_cut_at_the_limit_and_prune_forgets_idle_keys():
    clock = StepClock()
    rl = RateLimiter(limit=20, window_s=60, clock=clock)
    allowed = sum(1 for _ in range(100) if rl.hit(42) == 0.0)
    assert allowed == 20
    clock.t += 61
    rl.prune()
    assert 42 not in rl._events


def test_mentions_cannot_ping():
    s = neutralize_mentions("hi @everyone and @here, <@123456789012345678> <@&123456789012345678> <#123456789012345678>")
    assert "@everyone" not in s and "@here" not in s
    assert "<@123456789012345678>" not in s and "<@&123456789012345678>" not in s
    assert "<#123456789012345678>" not in s


def test_markdown_is_escaped_and_excerpt_is_bounded():
    assert escape_markdown("**bold** `code` [link](x)") == r"\*\*bold\*\* \`code\` \[link\]\(x\)"
    long = "word " * 500
    out = safe_excerpt(long, limit=100)
    assert len(out) <= 100 and out.endswith("…")
