"""EventFeedService: the event feed (core.feed) over gRPC. Each event is sent as the
envelope the Kafka topic carries, in its current shape (bank.wire's upcaster), so a
consumer decodes one message type whichever way it reads the events."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from adapters.grpc.edge import rpc_method
from adapters.grpc.errors import Context
from adapters.kafka.bus import PAYLOAD_ONEOF, ProtobufEnvelopeCodec
from bank.account import uuid_of
from bank.wire import UPCASTER
from core.dispatcher import Dispatcher, Query
from core.errors import InvalidInput
from core.events import StoredEvent
from core.feed import CaughtUp, EventFeed, FeedEntry, FeedHead, follow
from techbank.account.v1 import events_pb2, feed_pb2, feed_pb2_grpc

ENVELOPES = ProtobufEnvelopeCodec(events_pb2.EventEnvelope)
EVENT_TYPES = frozenset(
    field.message_type.name
    for field in events_pb2.EventEnvelope.DESCRIPTOR.oneofs_by_name[PAYLOAD_ONEOF].fields
    if field.message_type is not None
)
Followed = AsyncIterator[FeedEntry | CaughtUp]


@dataclass(frozen=True)
class FollowEvents(Query[Followed]):
    """The feed after `after_position`, of one stream or all (""), of some event types
    or all (empty); followed live, or to its end only."""

    after_position: int
    stream_id: str
    event_types: frozenset[str]
    live: bool

    def keeps(self, event: StoredEvent) -> bool:
        return (not self.stream_id or event.aggregate_id == self.stream_id) and (
            not self.event_types or event.event_type in self.event_types
        )


def register_feed_handler(
    dispatcher: Dispatcher[Followed], feed: EventFeed, head: FeedHead
) -> None:
    async def follow_events(query: FollowEvents) -> Followed:
        end = await feed.head()
        if query.after_position > end:  # a position of another store: resuming would skip
            message = (
                f"after_position {query.after_position} is past the end of the feed "
                f"(position {end}); positions come from this feed's own messages"
            )
            raise InvalidInput(message, field="after_position")
        return follow(feed, head, query.after_position, query.keeps, live=query.live)

    dispatcher.register(FollowEvents, follow_events)


def follow_events(request: feed_pb2.FollowEventsRequest) -> FollowEvents:
    """The query a request asks; InvalidInput naming the field that is wrong."""
    if request.after_position < 0:
        message = f"after_position must be 0 or more, got {request.after_position}"
        raise InvalidInput(message, field="after_position")
    unknown = sorted(set(request.event_types) - EVENT_TYPES)
    if unknown:
        message = f"event_types: no event type {unknown[0][:64]!r}; one of {sorted(EVENT_TYPES)}"
        raise InvalidInput(message, field="event_types")
    stream_id = uuid_of(request.stream_id, "stream_id") if request.stream_id else ""
    return FollowEvents(
        request.after_position, stream_id, frozenset(request.event_types), not request.stop_at_end
    )


class EventFeedServicer(feed_pb2_grpc.EventFeedServiceServicer):
    def __init__(self, dispatcher: Dispatcher[Followed]) -> None:
        self._dispatcher = dispatcher

    @rpc_method
    async def FollowEvents(
        self, request: feed_pb2.FollowEventsRequest, context: Context
    ) -> AsyncIterator[feed_pb2.FollowEventsResponse]:
        items = await self._dispatcher.ask(follow_events(request))
        async for item in items:
            yield response_of(item)


def response_of(item: FeedEntry | CaughtUp) -> feed_pb2.FollowEventsResponse:
    response = feed_pb2.FollowEventsResponse(position=item.position)
    if isinstance(item, CaughtUp):
        response.caught_up.SetInParent()
    else:
        response.event.MergeFromString(ENVELOPES.encode(UPCASTER(item.event)))
    return response


FEED_SERVICE = feed_pb2.DESCRIPTOR.services_by_name["EventFeedService"]


def feed_servicer(store: object) -> tuple[EventFeedServicer, FeedHead] | None:
    """The feed's servicer over `store`, with the head its followers wait on (to close
    after them); None for a store that keeps no feed (the SQL adapter's)."""
    if not isinstance(store, EventFeed):
        return None
    head = FeedHead(store)
    store.notify(head.nudge)
    dispatcher: Dispatcher[Followed] = Dispatcher()
    register_feed_handler(dispatcher, store, head)
    return EventFeedServicer(dispatcher), head
