"""Checks of the conventions every tool follows (docs/connectors.md section 4): a public reply
shows no user id and a small marker, unassign clears with an explicit null, a group mention is
text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses

from ..actions import Action
from ..connector import Outcome
from . import recorded
from .cases import SMALL_MARKER, USER_MENTION, Run, Write
from .harness import Harness


class ConventionChecks(Harness):
    """Public replies, unassign and group mentions, on the recorded writes."""

    # --- conventions (docs/connectors.md section 4) -----------------------------------------
    def _convention(
        self, action: Action, hook: Callable[[responses.RequestsMock, Action], None]
    ) -> list[Write]:
        """Play ``perform([action])`` against ``hook``; return what the tool received."""

        def stub(api: responses.RequestsMock) -> None:
            hook(api, action)

        run = self._run(stub, lambda conn: conn.perform([action]))
        assert [(o.action_id, o.ok) for o in run.result] == [(action.id, True)], run.result
        assert isinstance(run.result[0], Outcome) and not run.result[0].skipped, run.result
        return self._written(run, action)

    def _written(self, run: Run, action: Action) -> list[Write]:
        if self.remote_api:
            return [recorded.write(call) for call in recorded.writes(run.calls)]
        return list(self.written(action))

    def test_public_reply_carries_no_user_id_and_a_small_marker(self) -> None:
        reply = self.reply_action()
        assert reply.text is not None
        writes = self._convention(reply, self.stub_public_reply)
        assert len(writes) == 1, f"a public reply is one write: {writes}"
        [write] = writes
        text = recorded.text_holding(write, reply.text)
        whole = recorded.dump(write.body)
        marker = f"tco:{reply.id}"
        assert reply.id in whole, f"the reply does not carry its action id: {whole}"
        assert text.count(marker) <= 1, f"the marker shows twice: {text!r}"
        decoration = len(text) - len(reply.text) - (len(marker) if marker in text else 0)
        assert decoration <= SMALL_MARKER, (
            f"the customer reads {decoration} characters besides the text and the marker "
            f"(at most {SMALL_MARKER}): {text!r}"
        )
        for user in reply.mention:
            assert user not in whole, f"the public reply shows the user id {user!r}: {whole}"
        found = USER_MENTION.search(text)
        assert found is None, f"the public reply holds mention markup {found!r}: {text!r}"

    def test_public_reply_and_internal_note_are_different_requests(self) -> None:
        reply = self.reply_action(mention=False)
        [public] = self._convention(reply, self.stub_public_reply)
        internal = self._written(self._note_run(written=False), self.note_action())
        assert len(internal) == 1, f"an internal note is one write: {internal}"
        assert recorded.shape(public) != recorded.shape(internal[0]), (
            f"a public reply is sent as an internal note is: {recorded.shape(public)}"
        )

    @pytest.mark.parametrize("to_group", [True, False], ids=["to-group", "no-group"])
    def test_unassign_clears_the_assignee(self, to_group: bool) -> None:
        unassign = self.unassign_action(to_group=to_group)
        writes = self._convention(unassign, self.stub_unassign)
        assert writes, "unassign wrote nothing"
        leaves = [leaf for write in writes for leaf in recorded.leaves(write.body)]
        assert None in leaves, f"the assignee is not cleared with an explicit null: {writes}"
        named = {str(leaf) for leaf in leaves if leaf is not None}
        if to_group:
            assert unassign.group in named, f"the ticket is not moved to the group: {writes}"
        else:
            assert self._required("group") not in named, (
                f"unassign without a group wrote one: {writes}"
            )

    def test_group_mention_is_text_never_a_user_mention(self) -> None:
        note = self.group_note_action()
        assert note.text is not None
        writes = self._convention(note, self.stub_group_mention)
        assert len(writes) == 1, f"a note is one write: {writes}"
        [write] = writes
        group = self._required("group")
        text = recorded.text_holding(write, note.text)
        assert group in text.replace(note.text, "", 1), (
            f"the group {group!r} is not named in the note's text: {text!r}"
        )
        found = USER_MENTION.search(text)
        assert found is None, f"the group is written as a user mention {found!r}: {text!r}"
        entries = {group, f"group:{group}"}
        for items in recorded.lists(write.body):
            listed = entries & {str(item) for item in items}
            assert not listed, f"the group is sent in a mention list: {items}"
