"""link codes and attempts, and merging two people into one."""

from __future__ import annotations

import json

from bot.store.base import StoreCore
from bot.store.records import LinkAttempts, LinkCode, Tx

# Every table with a user_id referencing users(id), and the UNIQUE keys that include user_id
# (the key's other columns, and the condition of a partial index), so a merge knows where both
# people may hold "the same" row. Listed, not read from the catalogue: that query differs per
# backend. tests/test_link.py checks this list against the schema, so a table added later
# fails the tests until it is named here (else a merge would cascade its rows away).
USER_TABLES: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "identities": (),
    "entries": (),
    "conversations": (((), ""),),
    "triage_results": (),
    "triage_flags": ((("flag",), ""),),
    "reminders": ((("kind", "slot"), "once = 0"),),
    "deliveries": (),
    "reminder_settings": (((), ""),),
    "checkins": ((("day", "kind"), ""),),
    "plans": (((), ""),),
    "link_codes": (),
    "safety_events": (),
    "day_marks": ((("day",), ""),),
    "absent_answers": (),
    "guard_events": (),
    "appointment_notes": (((), ""),),
}


def _merge_statements() -> list[tuple[str, bool]]:
    """Per table: drop the source's rows that clash with one of the target's, then move the rest.
    Each statement comes with whether its parameters are (source, target) or (target, source)."""
    out = []
    for table, keys in USER_TABLES.items():
        for columns, condition in keys:
            same = "".join(f" AND t.{c} = {table}.{c}" for c in columns)
            mine = f" AND {condition}" if condition else ""
            theirs = f" AND t.{condition}" if condition else ""
            out.append(
                (
                    f"DELETE FROM {table} WHERE user_id = ?{mine} "
                    f"AND EXISTS (SELECT 1 FROM {table} t WHERE t.user_id = ?{theirs}{same})",
                    True,
                )
            )
        out.append((f"UPDATE {table} SET user_id = ? WHERE user_id = ?", False))
    return out


_MERGE = _merge_statements()  # built from the constants above only


class LinksStore(StoreCore):
    async def create_link_code(self, code: str, user_id: int, platform: str, expires_at: int, now: int) -> None:
        """Save a new code for this person, replacing theirs and dropping expired ones."""

        def save(tx: Tx) -> None:
            tx.execute("DELETE FROM link_codes WHERE user_id = ? OR expires_at < ?", (user_id, now))
            tx.execute(
                "INSERT INTO link_codes(code, user_id, platform, expires_at) VALUES (?, ?, ?, ?)",
                (code, user_id, platform, expires_at),
            )

        await self.write(save)

    async def link_code(self, code: str) -> LinkCode | None:
        row = await self.fetchone("SELECT code, user_id, platform, expires_at FROM link_codes WHERE code = ?", (code,))
        return None if row is None else LinkCode(row[0], row[1], row[2], row[3])

    async def withdraw_link_code(self, code: str) -> None:
        await self.execute("DELETE FROM link_codes WHERE code = ?", (code,))

    async def revoke_link_codes(self, user_id: int) -> int:
        """Withdraw this person's codes; how many there were."""
        return await self.execute("DELETE FROM link_codes WHERE user_id = ?", (user_id,))

    async def recent_link_attempts(self, platform: str, external_id: str, since: int) -> LinkAttempts:
        row = await self.fetchone(
            "SELECT coalesce(sum(CASE WHEN platform = ? AND external_id = ? THEN 1 ELSE 0 END), 0), count(*) "
            "FROM link_attempts WHERE at >= ?",
            (platform, external_id, since),
        )
        return LinkAttempts(int(row[0]), int(row[1])) if row else LinkAttempts(0, 0)

    async def link_attempts_since(self, since: int) -> int:
        """Wrong codes sent by anyone since then."""
        row = await self.fetchone("SELECT count(*) FROM link_attempts WHERE at >= ?", (since,))
        return int(row[0]) if row else 0

    async def record_link_attempt(self, platform: str, external_id: str, at: int, keep_since: int) -> None:
        """Count a wrong code, and forget those older than `keep_since`."""

        def count(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO link_attempts(at, platform, external_id) VALUES (?, ?, ?)", (at, platform, external_id)
            )
            tx.execute("DELETE FROM link_attempts WHERE at < ?", (keep_since,))

        await self.write(count)

    async def merge_people(self, source: int, target: int, *, code: str | None = None) -> None:
        """Move every row of `source` to `target` in one transaction (using up `code`, if given),
        then delete `source`. Where both have a row that must be unique (a setting, a day's
        check-in), the target's is kept; both people's settings are merged, the target's winning."""

        def merge(tx: Tx) -> None:
            for sql, source_first in _MERGE:
                tx.execute(sql, (source, target) if source_first else (target, source))
            rows = dict(tx.execute("SELECT id, settings FROM users WHERE id IN (?, ?)", (source, target)).fetchall())
            merged = {**json.loads(rows.get(source) or "{}"), **json.loads(rows.get(target) or "{}")}
            tx.execute("UPDATE users SET settings = ? WHERE id = ?", (json.dumps(merged), target))
            tx.execute(
                "UPDATE users SET first_name = coalesce(first_name, (SELECT first_name FROM users WHERE id = ?)) "
                "WHERE id = ?",
                (source, target),
            )
            if code is not None:
                tx.execute("DELETE FROM link_codes WHERE code = ?", (code,))
            tx.execute("DELETE FROM users WHERE id = ?", (source,))

        await self.write(merge)
        self.evict(source)
        self.evict(target)

    async def unlink(self, user_id: int, platform: str, external_id: str) -> int:
        """Cut every other identity off this person (and withdraw their codes); how many were cut."""

        def cut(tx: Tx) -> int:
            tx.execute("DELETE FROM link_codes WHERE user_id = ?", (user_id,))
            return int(
                tx.execute(
                    "DELETE FROM identities WHERE user_id = ? AND NOT (platform = ? AND external_id = ?)",
                    (user_id, platform, external_id),
                ).rowcount
            )

        n = await self.write(cut)
        self.evict(user_id)
        return n
