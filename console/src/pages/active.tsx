import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, canOperate, qs, type Active, type Me, type Page } from '../api';
import { useDebounced, useNow } from '../hooks';
import { onExecution } from '../live';
import { FilterBar, Row, SortHeader, type Filters, type Sort } from './active-parts';
import { RevertDialog } from './revert-dialog';

const ROW_HEIGHT = 37;
const PAGE_SIZE = 200;
const OVERSCAN = 10;

const COLUMNS: readonly (readonly [Sort | undefined, string])[] = [
  ['agent', 'Agent'],
  ['command', 'Command'],
  ['key', 'Key'],
  ['since', 'Since'],
  ['expires', 'Remaining'],
  [undefined, 'Alert / rule'],
  ['repeat', 'Repeats'],
];

const rowId = (a: Active): string => `${a.agentId}\u0000${a.key}`;

function useActiveRows(filters: Filters, sort: Sort, desc: boolean) {
  const [rows, setRows] = useState<Active[]>([]);
  const [total, setTotal] = useState(0);
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [generation, setGeneration] = useState(0);
  const loading = useRef(false);
  const query = (after: string | undefined): string =>
    qs({ ...filters, sort, order: desc ? 'desc' : 'asc', limit: PAGE_SIZE, cursor: after });
  useEffect(() => {
    let stale = false;
    loading.current = true;
    api<Page<Active>>('GET', `/active-responses${query(undefined)}`).then(
      (p) => {
        if (!stale) {
          setRows(p.items);
          setTotal(p.total);
          setCursor(p.nextCursor);
          setError(undefined);
          loading.current = false;
        }
      },
      (err: unknown) => {
        loading.current = false;
        setError(err instanceof ApiError ? err.message : String(err));
      },
    );
    return () => {
      stale = true;
    };
  }, [filters.agent, filters.command, filters.ip, filters.user, sort, desc, generation]);
  const more = useCallback(() => {
    if (cursor === undefined || loading.current) {
      return;
    }
    loading.current = true;
    void api<Page<Active>>('GET', `/active-responses${query(cursor)}`).then((p) => {
      setRows((r) => [...r, ...p.items]);
      setTotal(p.total);
      setCursor(p.nextCursor);
      loading.current = false;
    });
  }, [cursor]);
  return { rows, total, error, more, reload: () => setGeneration((g) => g + 1) };
}

export function ActivePage({ me }: { me: Me }) {
  const [filters, setFilters] = useState<Filters>({ agent: '', command: '', ip: '', user: '' });
  const [sort, setSort] = useState<Sort>('since');
  const [desc, setDesc] = useState(true);
  const [selected, setSelected] = useState<Map<string, Active>>(new Map());
  const [confirming, setConfirming] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const scroller = useRef<HTMLDivElement>(null);
  const debounced = useDebounced(filters, 250);
  const { rows, total, error, more, reload } = useActiveRows(debounced, sort, desc);
  const now = useNow();
  const selectable = canOperate(me);
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = onExecution(() => {
      clearTimeout(t);
      t = setTimeout(reload, 300);
    });
    return () => {
      off();
      clearTimeout(t);
    };
  }, []);
  useEffect(() => {
    const el = scroller.current;
    if (el) {
      setViewport(el.clientHeight);
    }
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  useEffect(() => {
    if (last >= rows.length - OVERSCAN) {
      more();
    }
  }, [last, rows.length]);
  const toggle = (a: Active): void =>
    setSelected((s) => {
      const n = new Map(s);
      if (n.has(rowId(a))) {
        n.delete(rowId(a));
      } else {
        n.set(rowId(a), a);
      }
      return n;
    });
  const setSortCol = (s: Sort): void => {
    if (s === sort) {
      setDesc(!desc);
    } else {
      setSort(s);
      setDesc(s === 'since' || s === 'repeat');
    }
  };
  const colSpan = COLUMNS.length + (selectable ? 1 : 0);
  return (
    <section aria-labelledby="active-title">
      <div class="page-head">
        <h1 id="active-title">Active responses</h1>
        <p class="muted" aria-live="polite">
          {total.toLocaleString()} active
          {rows.length < total ? `, ${rows.length.toLocaleString()} loaded` : ''}
        </p>
        {selectable && (
          <button
            type="button"
            class="danger"
            disabled={selected.size === 0}
            onClick={() => setConfirming(true)}
          >
            Revert selected ({selected.size})
          </button>
        )}
      </div>
      <FilterBar value={filters} onChange={setFilters} />
      {error !== undefined && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div
        class="table-scroll"
        ref={scroller}
        tabIndex={0}
        aria-label="Active responses table"
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <table class="grid" aria-rowcount={total + 1}>
          <thead>
            <tr>
              {selectable && (
                <th scope="col" class="check">
                  <span class="sr-only">Select</span>
                </th>
              )}
              {COLUMNS.map(([col, label]) => (
                <SortHeader key={label} col={col} label={label} sort={sort} desc={desc} set={setSortCol} />
              ))}
            </tr>
          </thead>
          <tbody>
            {first > 0 && (
              <tr aria-hidden="true" class="spacer" style={{ height: `${first * ROW_HEIGHT}px` }}>
                <td colSpan={colSpan} />
              </tr>
            )}
            {rows.slice(first, last).map((a) => (
              <Row
                key={rowId(a)}
                a={a}
                now={now}
                selectable={selectable}
                selected={selected.has(rowId(a))}
                toggle={toggle}
              />
            ))}
            {last < rows.length && (
              <tr
                aria-hidden="true"
                class="spacer"
                style={{ height: `${(rows.length - last) * ROW_HEIGHT}px` }}
              >
                <td colSpan={colSpan} />
              </tr>
            )}
            {rows.length === 0 && (
              <tr>
                <td colSpan={colSpan} class="empty">
                  No active responses match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {confirming && (
        <RevertDialog
          items={[...selected.values()]}
          onClose={(done) => {
            setConfirming(false);
            if (done) {
              setSelected(new Map());
              reload();
            }
          }}
        />
      )}
    </section>
  );
}
