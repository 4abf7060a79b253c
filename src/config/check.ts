// What `clara-train config check` reports about an MMAR: variables, the component tree, the
// search space, names with no registered implementation, BYOC modules, @references and Python strings.
import { existsSync } from 'node:fs';
import { ClaraError } from '../util/errors.js';
import { byocCandidates } from './byoc.js';
import { isDisabled } from './tree.js';
import { mapPythonString, isPythonString } from './python-strings.js';
import { collectPythonStrings, collectRefs, resolveRefTarget } from './refs.js';
import { registry as sharedRegistry, type ComponentRegistry } from './registry.js';
import type { ResolvedConfig } from './resolve.js';
import type { SearchItem } from './search-types.js';

export interface CheckedComponent {
  file: string;
  path: string;
  name: string;
  alias?: string;
  kind?: string;
  disabled: boolean;
  byoc?: string;
  ref?: string;
  registered: boolean;
}

export interface CheckReport {
  files: string[];
  variables: { name: string; value: unknown; source: string }[];
  components: CheckedComponent[];
  search: SearchItem[];
  /** Component names no implementation is registered for (BYOC and refs excluded). */
  unregistered: { file: string; path: string; name: string }[];
  byoc: { file: string; path: string; spec: string; kind?: string; disabled?: boolean; module?: string; lookedIn: string[] }[];
  refs: { file: string; path: string; ref: string; target: string }[];
  python: { file: string; path: string; value: string; mapped?: unknown; error?: string }[];
  /** Things that will fail at build time (the config still parses). */
  problems: string[];
}

/** Slots whose components are built by kind (`require(name, kind)`): a name of another kind is refused there. */
const STRICT_SLOTS = new Set<string>(['handler', 'automl_handler', 'controller', 'executor', 'pruner']);

/** Builds the report; throws a ClaraError (file + JSON path) for what does not resolve (e.g. an unknown @ref). */
export function checkConfigs(configs: ResolvedConfig[], opts: { registry?: ComponentRegistry; mmarRoot?: string } = {}): CheckReport {
  const reg = opts.registry ?? sharedRegistry;
  const report: CheckReport = {
    files: configs.map((c) => c.file),
    variables: [],
    components: [],
    search: [],
    unregistered: [],
    byoc: [],
    refs: [],
    python: [],
    problems: [],
  };
  const train = configs.find((c) => !c.automl);
  if (train) {
    report.variables = train.vars
      .entries()
      .map(([name, v]) => ({ name, value: v.value, source: v.source }))
      .sort((a, b) => a.name.localeCompare(b.name));
    report.search = train.space.items;
  }
  for (const cfg of configs) {
    for (const n of cfg.components) {
      const spec = n.byoc || n.ref ? undefined : reg.get(n.name, n.slotKind);
      const c: CheckedComponent = {
        file: cfg.file,
        path: n.path,
        name: n.ref ? `ref:${n.ref}` : n.name,
        disabled: isDisabled(n, cfg.file),
        registered: Boolean(spec) || Boolean(n.byoc) || Boolean(n.ref),
      };
      if (n.alias) c.alias = n.alias;
      const kind = spec?.kind ?? n.slotKind ?? (n.ref ? cfg.index.get(n.ref)?.slotKind : undefined);
      if (kind) c.kind = kind;
      if (n.byoc) c.byoc = n.byoc;
      if (n.ref) c.ref = n.ref;
      report.components.push(c);
      if (!c.registered) report.unregistered.push({ file: cfg.file, path: `${n.path}.name`, name: n.name });
      if (spec && !c.disabled) {
        // The same checks the builder and the component's factory make: kind (where it is built strictly), arg names, then values.
        try {
          if (n.slotKind && STRICT_SLOTS.has(n.slotKind)) reg.require(n.name, { file: cfg.file, path: `${n.path}.name` }, n.slotKind);
          reg.checkArgs(spec, n.args, { file: cfg.file, path: n.path });
          spec.check?.(n.args, { file: cfg.file, path: n.path });
        } catch (e) {
          if (!(e instanceof ClaraError)) throw e;
          report.problems.push(e.message);
        }
      }
      if (n.byoc) {
        const lookedIn = opts.mmarRoot ? byocCandidates(opts.mmarRoot, n.byoc) : [];
        const module = lookedIn.find((p) => existsSync(p));
        report.byoc.push({
          file: cfg.file,
          path: `${n.path}.path`,
          spec: n.byoc,
          ...(kind ? { kind } : {}),
          ...(c.disabled ? { disabled: true } : {}),
          module,
          lookedIn,
        });
        if (!module) report.problems.push(`${cfg.file}: ${n.path}.path: BYOC module for "${n.byoc}" not found; looked for ${lookedIn.join(', ')}`);
      }
    }
    for (const r of collectRefs(cfg.json)) {
      const t = resolveRefTarget(r.name, r.path, cfg.json, cfg.index, cfg.file);
      report.refs.push({ file: cfg.file, path: r.path, ref: `@${r.name}`, target: t.path === '' ? '(the whole config)' : t.path });
    }
    for (const p of collectPythonStrings(cfg.json, isPythonString)) {
      const m = mapPythonString(p.value);
      if ('error' in m) {
        report.python.push({ file: cfg.file, path: p.path, value: p.value, error: m.error });
        report.problems.push(`${cfg.file}: ${p.path}: ${m.error}`);
      } else {
        if (m.py === 'params') resolveRefTarget(m.of, p.path, cfg.json, cfg.index, cfg.file);
        report.python.push({ file: cfg.file, path: p.path, value: p.value, mapped: m });
      }
    }
  }
  return report;
}

function fmt(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Describes a search item's domain of values in one line. */
function describeSearchDomain(item: SearchItem): string {
  if (item.type === 'float' || item.type === 'int') return `[${item.range![0]}, ${item.range![1]}]${item.log ? ' log' : ''}`;
  return item.choices!.map((c) => (c.length === 1 ? fmt(c[0]) : `[${c.map(fmt).join(', ')}]`)).join(' | ');
}

/** Human-readable text of a report; file names are shown relative to `root` when given. */
export function formatCheckReport(r: CheckReport, root?: string): string {
  const rel = (f: string) => (root && f.startsWith(`${root}/`) ? f.slice(root.length + 1) : f);
  r = {
    ...r,
    files: r.files.map(rel),
    components: r.components.map((c) => ({ ...c, file: rel(c.file) })),
    unregistered: r.unregistered.map((u) => ({ ...u, file: rel(u.file) })),
    problems: r.problems.map((p) => (root ? p.split(`${root}/`).join('') : p)),
  };
  const lines: string[] = [];
  lines.push(`files: ${r.files.join(', ')}`);
  lines.push('', 'variables:');
  for (const v of r.variables) lines.push(`  ${v.name} = ${fmt(v.value)}  (${v.source})`);
  let file = '';
  lines.push('', 'components:');
  for (const c of r.components) {
    if (c.file !== file) {
      file = c.file;
      lines.push(`  ${file}`);
    }
    const flags = [c.kind ?? '?', c.disabled ? 'DISABLED' : '', c.byoc ? `byoc ${c.byoc}` : '', c.registered ? '' : 'UNREGISTERED'].filter(Boolean);
    lines.push(`    ${c.path.padEnd(34)} ${c.name}${c.alias ? `#${c.alias}` : ''}  [${flags.join(', ')}]`);
  }
  lines.push('', `search space (${r.search.length} item${r.search.length === 1 ? '' : 's'}):`);
  for (const s of r.search) {
    lines.push(`  ${s.key}`);
    lines.push(`    type ${s.type}, domain ${s.domain}: ${describeSearchDomain(s)}`);
    for (const t of s.targets) {
      const what = t.kind === 'var' ? `variable ${t.name}` : t.kind === 'disabled' ? `${t.componentPath}.disabled` : `${t.componentPath}.args.${t.name}`;
      const extras = [
        t.alias ? `alias ${t.alias}` : '',
        ...(t.appliedTo ?? []).map((a) => `→ ${a.componentPath}${a.arg === '@disabled' ? '.disabled' : `.args.${a.arg}`}`),
        ...(t.usedAt ?? []).map((u) => `used at ${u}`),
      ].filter(Boolean);
      lines.push(`    target ${what}${extras.length ? `  ${extras.join('; ')}` : ''}`);
    }
    for (const [v, paths] of Object.entries(s.switches ?? {})) lines.push(`    switches ${v}: ${paths.join(', ')}`);
  }
  lines.push('', `not registered yet (${r.unregistered.length}):`);
  for (const u of r.unregistered) lines.push(`  ${u.name}  at ${u.file}: ${u.path}`);
  if (r.python.length) {
    lines.push('', 'python expressions:');
    for (const p of r.python) lines.push(`  ${p.path}: ${p.value}  → ${p.error ? `REFUSED: ${p.error}` : JSON.stringify(p.mapped)}`);
  }
  if (r.problems.length) {
    lines.push('', `problems at build time (${r.problems.length}):`);
    for (const p of r.problems) lines.push(`  ${p}`);
  }
  return lines.join('\n');
}

export { ClaraError };
