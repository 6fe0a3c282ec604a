"""Why the platform refused a request: one status and one stable code per reason, with zh/en messages.

A refusal is the answer to a whole request (a receipt is the answer to one event). The receiver raises
`Refusal`; the uploader reads one back from an error answer with `read_refusal` and decides by `code`
and `status` alone whether to retry (429, 503, 5xx), re-seal (`seal.key_expired`), or stop and tell
the operator. The body of every refusal is

    {"error": {"code": "...", "zh": "...", "en": "...", "field": null, "severity": "error"}, ...extra}

>>> r = Refusal.of("signature.missing")
>>> r.status, r.problem.code
(401, 'signature.missing')
>>> read_refusal(401, r.body()).problem == r.problem
True
"""

from __future__ import annotations

import json
from typing import Any

from agent.domain.problems import Problem
from protocol.keys import CipherSuite

# code -> (HTTP status, zh, en). The codes are part of protocol v1: never reuse one for another meaning.
CATALOGUE: dict[str, tuple[int, str, str]] = {
    "body.malformed": (400, "请求内容不是有效的 JSON 对象。", "The request body is not a valid JSON object."),
    "body.not_sealed": (400, "请求内容无法解密：加密方式或密钥不符。",
                        "The body cannot be opened: wrong cipher suite, key or ciphertext."),
    "body.not_compressed": (400, "解密后的内容不是有效的 zlib 压缩数据。",
                            "The opened body is not valid zlib-compressed data."),
    "body.too_large": (413, "请求内容超过平台的大小上限，请分成较小的批次上传。",
                       "The body is over the platform's size cap; send smaller batches."),
    "body.too_slow": (408, "请求内容传输太慢，平台已停止等待，请稍后重试。",
                      "The body came too slowly; the platform stopped waiting. Retry later."),
    "batch.malformed": (400, "批次格式不正确（需要 device_id、batch_id 和 events 列表）。",
                        "The batch is malformed (it needs device_id, batch_id and an events list)."),
    "batch.mismatch": (400, "批次中的设备号或批次号与请求头不一致。",
                       "The batch's device id or batch id does not match the request headers."),
    "batch.no_idempotency_key": (400, "缺少 Idempotency-Key 请求头（应为批次号）。",
                                 "The Idempotency-Key header (the batch id) is missing."),
    "idempotency.key_reused": (422, "同一批次号已用于内容不同的批次，请为新批次使用新的批次号。",
                               "This batch id was already used for a different batch; use a new batch id."),
    "seal.unknown_key": (400, "批次使用了平台不认识的密钥编号，请重新获取平台密钥。",
                         "The batch is sealed to a key id the platform does not know; fetch the platform key."),
    "seal.key_expired": (400, "批次使用的平台密钥已停用，请用新密钥重新加密后上传。",
                         "The batch is sealed to a retired platform key; seal it to the new key and resend."),
    "seal.unsupported_suite": (400, "平台不接受这种加密套件。",
                               "The platform does not accept this cipher suite."),
    "seal.suite_required": (400, "这个平台只接受另一种加密套件（见 required_suite：抗量子的 ML-KEM-768 + "
                                 "X25519 混合套件，或国密 SM2/SM3/SM4 套件）：请升级登记软件后重新登记设备。",
                            "This platform accepts only another cipher suite (see required_suite: the "
                            "post-quantum ML-KEM-768 + X25519 hybrid, or the national SM2/SM3/SM4 suite): update "
                            "the agent and enroll again."),
    "signature.missing": (401, "请求没有签名（缺少 Signature 或 Signature-Input 请求头）。",
                          "The request is not signed (Signature or Signature-Input is missing)."),
    "signature.invalid": (401, "请求签名无效。", "The request signature is not valid."),
    "signature.stale": (401, "请求时间与平台时间相差超过 5 分钟，请校准本机时钟。",
                        "The request's date is more than 5 minutes from the platform's clock; set the clock."),
    "signature.replayed": (401, "这个签名已经使用过，每次发送都需要重新签名。",
                           "This signature was already used; every attempt must be signed anew."),
    "device.unknown": (403, "平台不认识这台设备，请重新登记设备。",
                       "The platform does not know this device; enroll it again."),
    "device.revoked": (403, "这台设备已被注销，请联系派出所。",
                       "This device has been revoked; contact the police station."),
    "enroll.code_invalid": (403, "登记码不正确。", "The enrollment code is not valid."),
    "enroll.code_used": (403, "登记码已经使用过，请向派出所申请新的登记码。",
                         "The enrollment code was already used; ask the police station for a new one."),
    "enroll.code_expired": (403, "登记码已过期，请向派出所申请新的登记码。",
                            "The enrollment code has expired; ask the police station for a new one."),
    "enroll.kind_mismatch": (422, "场所类型与登记码签发时的类型不一致。",
                             "The venue kind differs from the kind the enrollment code was issued for."),
    "enroll.bad_request": (400, "设备登记请求不完整：需要登记码、场所信息和设备公钥。",
                           "The enrollment request needs the code, the venue details and the device key."),
    "permit_check.malformed": (400, "居住证核验请求格式不正确。", "The permit check query is malformed."),
    "rate.limited": (429, "请求过于频繁，请稍后再试。", "Too many requests from this device; retry later."),
    "rate.too_many_connections": (429, "来自这个网络地址的并发请求过多，请稍后再试。",
                                  "Too many requests at once from this network address; retry later."),
    "platform.overloaded": (503, "平台繁忙，请稍后再试。", "The platform is overloaded; retry later."),
    "platform.error": (500, "平台内部错误，请稍后再试。", "The platform failed; retry later."),
    "fault.injected": (500, "测试用故障（平台以 --faults 启动）。",
                       "A test fault (the platform runs with --faults)."),
    "route.not_found": (404, "没有这个接口。", "There is no such endpoint."),
    "route.method_not_allowed": (405, "这个接口不支持该请求方法。", "This endpoint does not take this method."),
}


class Refusal(Exception):
    """A refused request: an HTTP status, a `Problem`, and for 429/503 how long to wait."""

    def __init__(self, status: int, problem: Problem, retry_after: int | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(problem.code)
        self.status = status
        self.problem = problem
        self.retry_after = retry_after
        self.extra = extra or {}

    @classmethod
    def of(cls, code: str, *, status: int | None = None, retry_after: int | None = None,
           field: str | None = None, extra: dict[str, Any] | None = None) -> Refusal:
        default_status, zh, en = CATALOGUE[code]
        return cls(status or default_status, Problem(code, zh, en, field), retry_after, extra)

    def body(self) -> bytes:
        return json.dumps({"error": self.problem.as_dict(), **self.extra}, ensure_ascii=False).encode()

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def __str__(self) -> str:
        return f"{self.status} {self.problem.code}: {self.problem.en}"


def read_refusal(status: int, body: bytes, retry_after: str | None = None) -> Refusal:
    """The refusal in an error answer; a body that is not ours (a proxy's page) still gives a Refusal."""
    wait = int(retry_after) if retry_after is not None and retry_after.strip().isdigit() else None
    try:
        value = json.loads(body)
        error = value["error"]
        problem = Problem(str(error["code"]), str(error["zh"]), str(error["en"]), error.get("field"))
        extra = {k: v for k, v in value.items() if k != "error"}
    except (ValueError, TypeError, KeyError, AttributeError):
        problem = Problem(f"http.{status}", f"平台返回了 HTTP {status}。", f"The platform answered HTTP {status}.")
        extra = {}
    return Refusal(status, problem, wait, extra)


SUITE_NAMES: dict[str, tuple[str, str]] = {
    CipherSuite.GM.value: ("国密 SM2/SM3/SM4 套件", "the national SM2/SM3/SM4 suite"),
    CipherSuite.MLKEM768_X25519.value: ("抗量子 ML-KEM-768 + X25519 混合套件",
                                        "the post-quantum ML-KEM-768 + X25519 hybrid suite"),
    CipherSuite.X25519.value: ("X25519 套件", "the X25519 suite"),
}


def explain_suite_required(refusal: Refusal) -> Problem:
    """What the agent tells the operator when the platform requires a suite this device cannot use as it
    is enrolled (`seal.suite_required`, with `required_suite`): which suite, in words, and what to do.
    This agent speaks every suite, so it is a device enrolled before its platform changed suites (or
    before the agent knew the suite): enrolling again with a new code gives it the keys it needs."""
    required = str(refusal.extra.get("required_suite", ""))
    zh_name, en_name = SUITE_NAMES.get(required, (required or "另一种加密套件", required or "another cipher suite"))
    return Problem("seal.suite_required",
                   f"平台只接受{zh_name}（{required}），这台设备按目前的登记不能使用它：请向派出所申请新的登记码，"
                   "重新登记设备，本软件会自动使用平台要求的套件。",
                   f"The platform accepts only {en_name} ({required}), which this device cannot use as it is "
                   "enrolled: ask the police station for a new enrollment code and enroll the device again; the "
                   "agent then uses the suite the platform requires by itself.", "suite")
