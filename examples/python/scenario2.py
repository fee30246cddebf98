#!/usr/bin/env python3
"""Scenario 2, support on a microblog: public post -> private message -> email, one agent.

A customer complains about their new phone in a short public post that
mentions the brand. Agent Ana gets the work on her offer stream and accepts
it, answers in public, moves the exchange to private messages to take
personal data, then to email because the case needs documents. She keeps the
conversation on all three channels although a second agent, Ben, is
available the whole time; the first-response clock set by the public post
never restarts; and once the case is resolved the answer is closed off in
public, by Ana again.

    /usr/bin/python3 examples/python/scenario2.py [HOST:PORT]

The address is the first argument, else $OMNIROUTE_ADDRESS, else
127.0.0.1:50051. The story runs in a new tenant (scenario2-<random>, or
--tenant NAME). It prints the thread and its routing, and exits 0 if the
story holds, 1 if it does not, 2 if the server cannot be reached.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

try:
    import omniroute
except ImportError:  # run from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    import omniroute

from omniroute import proto

ANA = "agent-ana"
BEN = "agent-ben"
SOCIAL_CHANNELS = ["PUBLIC_SOCIAL", "PRIVATE_SOCIAL", "EMAIL"]
# How long to wait for an update on the offer stream before giving up.
STREAM_WAIT_SECONDS = 10.0


def name(enum, value) -> str:
    return omniroute.enum_name(enum, value)


class Story:
    """Collects the checks of the story; the script fails if one does not hold."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.lines: list[str] = []

    def check(self, holds: bool, what: str) -> bool:
        self.lines.append(f"  {'ok  ' if holds else 'FAIL'}  {what}")
        if not holds:
            self.failures.append(what)
        return holds


def next_update(offers, kind, task_id=None):
    """The next update of the offer stream, which must be of `kind` (for task_id)."""
    update = offers.next(timeout=STREAM_WAIT_SECONDS)
    expected = name(proto.OfferUpdate.Kind, kind)
    if update.kind != kind or (task_id is not None and update.task.task_id != task_id):
        raise AssertionError(
            f"offer stream: expected {expected} for task {task_id}, got "
            f"{name(proto.OfferUpdate.Kind, update.kind)} for task {update.task.task_id}")
    return update


def sender_of(message) -> str:
    if message.direction == proto.DIRECTION_OUTBOUND:
        return message.agent_id or "brand"
    who = message.sender
    if who.network:
        return f"@{who.value} on {who.network}"
    return who.value


def print_thread(c, conversation_id: int, customer_id: int) -> list:
    entries = c.timeline(conversation_id)
    print(f"thread (conversation {conversation_id}, customer {customer_id}):")
    for entry in entries:
        at = omniroute.to_datetime(entry.at)
        clock = at.strftime("%H:%M:%S") if at else "--:--:--"
        if entry.WhichOneof("entry") == "message":
            m = entry.message
            direction = "in " if m.direction == proto.DIRECTION_INBOUND else "out"
            print(f"  {clock}  {name(proto.Channel, m.channel):<14}  {direction}  "
                  f"{sender_of(m):<22}  {m.body}")
        else:
            h = entry.handoff
            print(f"  {clock}  handoff {name(proto.Channel, h.from_channel)} -> "
                  f"{name(proto.Channel, h.to_channel)} by {h.actor.id or name(proto.ActorKind, h.actor.kind)}: "
                  f"{h.reason}")
    return entries


def print_routing(routing) -> None:
    print(f"routing (conversation {routing.conversation_id}):")
    for t in routing.tasks:
        end = f" ({name(proto.TaskEnd, t.end)})" if t.end else ""
        print(f"  task {t.task_id:<3} {name(proto.Channel, t.channel):<14}  "
              f"{name(proto.TaskReason, t.reason):<17}  {t.agent_id or '-':<10}  "
              f"{name(proto.TaskStatus, t.status)}{end}")
    print(f"  owner: {routing.owner_agent_id or '-'}; agents: {routing.agents}; "
          f"handoffs: {routing.handoffs}; transfers: {routing.transfers}; "
          f"same agent throughout: {'yes' if routing.same_agent_throughout else 'no'}")


def play(c: omniroute.Client, story: Story) -> None:
    c.create_tenant()
    c.upsert_queue("social", channels=SOCIAL_CHANNELS, display_name="Social and email care")
    c.configure_routing(default_queue_id="social")
    c.upsert_agent(ANA, display_name="Ana", channels=SOCIAL_CHANNELS)
    c.upsert_agent(BEN, display_name="Ben", channels=SOCIAL_CHANNELS)
    c.set_presence(ANA, "AVAILABLE")

    with c.offers(ANA) as offers:
        # 1. The public post. Ana is the only agent present: the task is offered to her.
        post = c.ingest(channel="PUBLIC_SOCIAL", sender=omniroute.handle("@PhoneOwner", network="x"),
                        external_id="tw-1", body="My new phone died after two days. @Brand?",
                        display_name="Phone Owner", reach=1200)
        conversation_id = post.conversation_id
        due = c.get_conversation(conversation_id).first_response_due
        offered = next_update(offers, omniroute.OFFERED, post.task.task_id)
        accepted = c.accept_offer(offered)
        next_update(offers, omniroute.ASSIGNED, accepted.task_id)
        story.check(accepted.agent_id == ANA and accepted.status == proto.TASK_STATUS_ASSIGNED,
                    f"{ANA} accepted the first offer from her offer stream (task {accepted.task_id})")
        # Ben is available from now on: he could take any of what follows.
        c.set_presence(BEN, "AVAILABLE")

        c.record_outbound(conversation_id, channel="PUBLIC_SOCIAL", external_id="tw-2",
                          references=["tw-1"], agent_id=ANA,
                          body="Sorry to hear that! Send us a DM so we can look into it.")

        # 2. Public -> private message, to take personal data.
        routing = c.handoff(conversation_id, to_channel="PRIVATE_SOCIAL",
                            reason="take personal data", actor=ANA)
        dm_task = routing.tasks[-1]
        story.check(dm_task.channel == proto.CHANNEL_PRIVATE_SOCIAL and dm_task.agent_id == ANA
                    and dm_task.status == proto.TASK_STATUS_ASSIGNED,
                    f"the handoff to private messages stayed with {ANA} (task {dm_task.task_id})")
        next_update(offers, omniroute.ASSIGNED, dm_task.task_id)
        dm = c.ingest(channel="PRIVATE_SOCIAL", sender=omniroute.handle("phoneowner", network="x"),
                      external_id="dm-1", body="Order 12345, bought on the 3rd.")
        c.record_outbound(conversation_id, channel="PRIVATE_SOCIAL", external_id="dm-2",
                          agent_id=ANA, body="Thanks. We need the invoice: please email it to us.")

        # 3. Private -> email, for the documents.
        routing = c.handoff(conversation_id, to_channel="EMAIL", reason="documents needed",
                            actor=ANA)
        email_task = routing.tasks[-1]
        story.check(email_task.channel == proto.CHANNEL_EMAIL and email_task.agent_id == ANA
                    and email_task.status == proto.TASK_STATUS_ASSIGNED,
                    f"the handoff to email stayed with {ANA} (task {email_task.task_id})")
        next_update(offers, omniroute.ASSIGNED, email_task.task_id)
        c.link_identity(post.customer_id, omniroute.email("owner@example.com"), actor=ANA)
        c.record_outbound(conversation_id, channel="EMAIL", external_id="<case-1@brand.example>",
                          agent_id=ANA, body="Please send us the invoice as an attachment.")
        reply = c.ingest(channel="EMAIL", sender=omniroute.email("Owner@Example.com"),
                         external_id="<r1@example.com>", references=["<case-1@brand.example>"],
                         body="Invoice attached.")

        # 4. Resolved in private: the answer is closed off in public, by Ana again.
        c.complete_task(email_task)
        c.set_conversation_status(conversation_id, "RESOLVED", actor=ANA)
        loop_offer = next_update(offers, omniroute.OFFERED)
        loop_task = c.accept_offer(loop_offer)
        next_update(offers, omniroute.ASSIGNED, loop_task.task_id)
        # Answering in public takes the conversation back to the public
        # channel; the close-the-loop task already covers it.
        routing = c.handoff(conversation_id, to_channel="PUBLIC_SOCIAL",
                            reason="close the loop in public", actor=ANA)
        story.check([t.task_id for t in routing.tasks
                     if t.status == proto.TASK_STATUS_ASSIGNED] == [loop_task.task_id],
                    "the handoff back to public is covered by the close-the-loop task")
        c.record_outbound(conversation_id, channel="PUBLIC_SOCIAL", external_id="tw-3",
                          references=["tw-1"], agent_id=ANA,
                          body="Solved by email: a replacement is on its way. Thanks for your patience!")
        c.complete_task(loop_task)

    print()
    entries = print_thread(c, conversation_id, post.customer_id)
    print()
    routing = c.conversation_routing(conversation_id)
    print_routing(routing)
    conversation = c.get_conversation(conversation_id)
    due_at = omniroute.to_datetime(due)
    answered_at = omniroute.to_datetime(conversation.first_responded_at)
    print(f"first response due {due_at:%Y-%m-%d %H:%M:%S} UTC (set by the public post), "
          f"given {answered_at:%H:%M:%S} UTC; status "
          f"{name(proto.ConversationStatus, conversation.status)}")
    print()

    story.check(dm.conversation_id == conversation_id and reply.conversation_id == conversation_id
                and [x.conversation_id for x in c.list_conversations(post.customer_id)]
                == [conversation_id],
                "the post, the private messages and the emails are one conversation")
    story.check(not dm.customer_created and not reply.customer_created
                and dm.customer_id == post.customer_id and reply.customer_id == post.customer_id,
                "the customer is one customer on every channel")
    story.check(dm.outcome == proto.THREAD_OUTCOME_JOINED_BY_CONTINUITY
                and reply.outcome == proto.THREAD_OUTCOME_JOINED_BY_REFERENCE,
                "the DM joined by continuity, the email reply by its reference to the agent's email")
    story.check([(h.from_channel, h.to_channel) for h in conversation.handoffs]
                == [(proto.CHANNEL_PUBLIC_SOCIAL, proto.CHANNEL_PRIVATE_SOCIAL),
                    (proto.CHANNEL_PRIVATE_SOCIAL, proto.CHANNEL_EMAIL),
                    (proto.CHANNEL_EMAIL, proto.CHANNEL_PUBLIC_SOCIAL)],
                "public post -> private message -> email (-> public, to close the loop) are "
                "handoffs of that conversation")
    channels = [name(proto.Channel, e.message.channel) for e in entries
                if e.WhichOneof("entry") == "message"]
    story.check(channels == ["PUBLIC_SOCIAL", "PUBLIC_SOCIAL", "PRIVATE_SOCIAL",
                             "PRIVATE_SOCIAL", "EMAIL", "EMAIL", "PUBLIC_SOCIAL"],
                "the thread holds every message of the three channels, in order")
    story.check(conversation.first_response_due == due,
                "the first-response clock runs on from the public post (no restart at a handoff)")
    story.check(routing.owner_agent_id == ANA and routing.same_agent_throughout
                and routing.agents == 1 and routing.transfers == 0
                and all(t.agent_id == ANA for t in routing.tasks),
                f"{ANA} kept the conversation throughout, although {BEN} was available")
    story.check(loop_task.reason == proto.TASK_REASON_CLOSE_PUBLIC_LOOP
                and loop_task.channel == proto.CHANNEL_PUBLIC_SOCIAL and loop_task.agent_id == ANA,
                "resolving it in private left a task to close the loop in public, taken by "
                f"{ANA}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", nargs="?",
                        default=os.environ.get("OMNIROUTE_ADDRESS", "127.0.0.1:50051"),
                        help="the omniroute server, host:port")
    parser.add_argument("--tenant", default=f"scenario2-{uuid.uuid4().hex[:8]}",
                        help="the tenant to create and play the story in")
    parser.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                        help="how long to wait for the server to accept a connection")
    args = parser.parse_args(argv)

    print("omniroute scenario 2: support on a microblog "
          "(public post -> private message -> email, one agent)")
    print(f"server {args.address}, tenant {args.tenant}")
    story = Story()
    with omniroute.Client(args.address, tenant=args.tenant) as c:
        try:
            c.wait_ready(timeout=args.wait)
        except omniroute.OmnirouteError as error:
            print(f"scenario2: {error}", file=sys.stderr)
            return 2
        try:
            play(c, story)
        except (omniroute.OmnirouteError, AssertionError) as error:
            # A call the story needs was refused, or the offer stream did not
            # say what the story expects: the story does not hold.
            story.failures.append(str(error))
            print(f"scenario2: {error}", file=sys.stderr)
    print("checks:")
    print("\n".join(story.lines))
    if story.failures:
        print(f"the story does not hold: {len(story.failures)} check(s) failed", file=sys.stderr)
        for failure in story.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print("the story holds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
