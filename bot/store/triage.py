"""triage_results and triage_flags: what /triage concluded, and the journal lines already pointed out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from bot.store.base import StoreCore
from bot.store.records import TriageRecord, Tx, from_ts, to_ts

_RESULT_COLUMNS = "id, at, level, reasons, answers, unsure, rules_version, details"


def _result(row: Any) -> TriageRecord:
    return TriageRecord(
        id=row[0],
        at=from_ts(row[1]),
        level=row[2],
        reasons=json.loads(row[3]),
        answers=json.loads(row[4]),
        unsure=json.loads(row[5] or "[]"),
        rules_version=row[6],
        details=json.loads(row[7] or "{}"),
    )


class TriageStore(StoreCore):
    # ---- triage_results ----------------------------------------------------------------------------
    async def save_triage_result(
        self,
        user_id: int,
        at: datetime,
        level: str,
        *,
        reasons: list[dict[str, Any]],
        answers: dict[str, Any],
        unsure: Iterable[str],
        rules_version: str,
        details: dict[str, Any],
        also: Callable[[Tx], Any] | None = None,
    ) -> int:
        """Keep one result (and, in the same transaction, whatever `also` writes); its id."""
        values = (
            user_id,
            to_ts(at),
            level,
            json.dumps(reasons),
            json.dumps(answers),
            json.dumps(list(unsure)),
            rules_version,
            json.dumps(details),
        )

        def save(tx: Tx) -> int:
            result_id = tx.execute(
                "INSERT INTO triage_results(user_id, at, level, reasons, answers, unsure, rules_version, details) "
                "VALUES (?,?,?,?,?,?,?,?) RETURNING id",
                values,
            ).fetchone()[0]
            if also is not None:
                also(tx)
            return int(result_id)

        return await self.write(save)

    async def triage_results(
        self, user_id: int, *, newest_first: bool = False, limit: int | None = None
    ) -> list[TriageRecord]:
        """This person's results, oldest first (or newest first), at most `limit` of them."""
        sql = f"SELECT {_RESULT_COLUMNS} FROM triage_results WHERE user_id = ?"
        sql += " ORDER BY at DESC, id DESC" if newest_first else " ORDER BY at, id"
        params: list[Any] = [user_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_result(r) for r in await self.fetchall(sql, params)]

    async def triage_result(self, user_id: int, result_id: int | None = None) -> TriageRecord | None:
        """One result of this person by id, or (without an id) their latest."""
        if result_id is None:
            latest = await self.triage_results(user_id, newest_first=True, limit=1)
            return latest[0] if latest else None
        sql = f"SELECT {_RESULT_COLUMNS} FROM triage_results WHERE user_id = ? AND id = ?"
        row = await self.fetchone(sql, (user_id, result_id))
        return _result(row) if row else None

    # ---- triage_flags ------------------------------------------------------------------------------
    async def triage_flags(self, user_id: int) -> frozenset[str]:
        """The journal lines (long | groups | spreading) already pointed out to this person."""
        rows = await self.fetchall("SELECT flag FROM triage_flags WHERE user_id = ?", (user_id,))
        return frozenset(r[0] for r in rows)

    async def add_triage_flags(self, user_id: int, flags: Iterable[str], now: datetime) -> None:
        """Remember lines as pointed out (those already remembered keep their time)."""
        ts = to_ts(now)
        rows = [(user_id, f, ts) for f in flags]
        if not rows:
            return
        await self.write(
            lambda tx: tx.executemany(
                "INSERT INTO triage_flags(user_id, flag, at) VALUES (?, ?, ?) ON CONFLICT (user_id, flag) DO NOTHING",
                rows,
            )
        )
