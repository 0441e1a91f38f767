import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Active } from '../api';

/** What reverting `a` undoes, in words. */
export function undoes(a: Active): string {
  const target =
    a.srcip !== undefined
      ? `unblocks ${a.srcip}`
      : a.user !== undefined
        ? `restores user ${a.user}`
        : 'runs its delete';
  return `${a.arName} on agent ${a.agentId}: ${target} (key ${a.key})`;
}

/** The confirmation of a revert: says what will be undone, then reverts each item and reports. */
export function RevertDialog({ items, onClose }: { items: Active[]; onClose: (done: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [results, setResults] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    const out: string[] = [];
    for (const a of items) {
      try {
        await api('DELETE', `/active-responses/${encodeURIComponent(a.key)}${qs({ agent: a.agentId })}`);
        out.push(`Revert queued: ${a.key} on agent ${a.agentId}`);
      } catch (err: unknown) {
        out.push(
          `Failed: ${a.key} on agent ${a.agentId}: ${err instanceof ApiError ? err.message : String(err)}`,
        );
      }
    }
    setResults(out);
    setBusy(false);
  };
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="revert-title"
      onClose={() => onClose(results !== undefined)}
    >
      <h2 id="revert-title">
        Revert {items.length} active response{items.length === 1 ? '' : 's'}?
      </h2>
      {results === undefined ? (
        <>
          <p>This will undo now, before their timeout:</p>
          <ul class="undo-list">
            {items.slice(0, 50).map((a) => (
              <li key={`${a.agentId}-${a.key}`}>{undoes(a)}</li>
            ))}
            {items.length > 50 && <li>… and {items.length - 50} more</li>}
          </ul>
          <div class="actions">
            <button type="button" onClick={() => ref.current?.close()} disabled={busy}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => void confirm()} disabled={busy}>
              Revert {items.length}
            </button>
          </div>
        </>
      ) : (
        <>
          <ul class="undo-list" role="status">
            {results.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          <div class="actions">
            <button type="button" class="primary" onClick={() => ref.current?.close()}>
              Close
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
