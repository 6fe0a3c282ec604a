"""The served OpenAPI document matches the live router and the statuses the server really answers."""

from __future__ import annotations

from protocol.refusals import CATALOGUE
from receiver.faults import FaultPlan
from receiver.openapi import ROUTE_CODES


async def test_the_document_lists_exactly_the_routes_served(start_receiver) -> None:
    receiver = await start_receiver(faults=FaultPlan())
    document = (await receiver.request("GET", "/v1/openapi.json")).json()
    served = {(route.method.lower(), route.resource.canonical) for route in receiver.app.router.routes()
              if route.method != "HEAD"}
    documented = {(method, path) for path, methods in document["paths"].items() for method in methods}
    assert served == documented == set(ROUTE_CODES)
    assert all(code in CATALOGUE for codes in ROUTE_CODES.values() for code in codes)


async def test_every_status_the_server_gave_is_documented_for_its_route(receiver, events) -> None:
    document = (await receiver.request("GET", "/v1/openapi.json")).json()
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    observed = [
        ("post", "/v1/batches", await receiver.send(device, sealed)),
        ("post", "/v1/batches", await receiver.request("POST", "/v1/batches", sealed.body, sealed.headers())),
        ("post", "/v1/batches", await receiver.send(device, receiver.seal(device, [events.registration()],
                                                                          batch_id=sealed.batch_id))),
        ("post", "/v1/enroll", await receiver.request("POST", "/v1/enroll", b"{}")),
        ("post", "/v1/permit-checks", await receiver.request("POST", "/v1/permit-checks", b"x")),
        ("get", "/v1/health", await receiver.request("GET", "/v1/health")),
        ("get", "/v1/platform-key", await receiver.request("GET", "/v1/platform-key")),
    ]
    for method, path, reply in observed:
        responses = document["paths"][path][method]["responses"]
        assert str(reply.status) in responses, (method, path, reply.status)
        if reply.code:
            assert reply.code in responses[str(reply.status)]["description"]
