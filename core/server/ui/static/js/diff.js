// Side-by-side diff of two manifests. Manifests are written as YAML lines that remember their
// JSON path, so lines of fields the server left out of the comparison can be greyed out.

function scalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") {
    if (v === "" || /^\s|\s$|: |:$| #|^[-?:,\[\]{}#&*!|>'"%@`]|^(true|false|null|yes|no|on|off|~|[-+]?[0-9.][0-9.eE+-]*)$/i.test(v) || v.includes("\n"))
      return JSON.stringify(v);
    return v;
  }
  return String(v);
}

/** YAML-like lines [{text, path}] for a JSON value (maps and lists in block style). */
export function yamlLines(value) {
  const out = [];
  const walk = (v, indent, path, prefix) => {
    const pad = " ".repeat(indent);
    if (Array.isArray(v)) {
      if (!v.length) { out.push({ text: pad + prefix + "[]", path }); return; }
      if (prefix) out.push({ text: pad + prefix.trimEnd(), path });
      v.forEach((x, i) => {
        const p = path + "/" + i;
        if (x && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length) {
          const keys = Object.keys(x);
          keys.forEach((k, j) => walkKey(x[k], indent + 2, p + "/" + k, (j === 0 ? "- " : "  ") + k, indent));
        } else walk(x, indent, p, "- ");
      });
      return;
    }
    if (v && typeof v === "object") {
      const keys = Object.keys(v);
      if (!keys.length) { out.push({ text: pad + prefix + "{}", path }); return; }
      if (prefix) out.push({ text: pad + prefix.trimEnd(), path });
      keys.forEach((k) => walkKey(v[k], indent + (prefix ? 2 : 0), path + "/" + k, k, null));
      return;
    }
    out.push({ text: pad + prefix + scalar(v), path });
  };
  const walkKey = (v, indent, path, key, listIndent) => {
    const pad = listIndent !== null ? " ".repeat(listIndent) : " ".repeat(indent);
    if (v && typeof v === "object" && (Array.isArray(v) ? v.length : Object.keys(v).length)) {
      out.push({ text: pad + key + ":", path });
      const inner = listIndent !== null ? listIndent + 4 : indent + 2;
      walk(v, inner - (Array.isArray(v) ? 2 : 0), path, "");
      return;
    }
    out.push({ text: pad + key + ": " + (v && typeof v === "object" ? (Array.isArray(v) ? "[]" : "{}") : scalar(v)), path });
  };
  walk(value, 0, "", "");
  return out;
}

/** Every JSON path (leaves and containers) present in a value. */
export function pathsOf(value) {
  const s = new Set([""]);
  const walk = (v, p) => {
    if (v && typeof v === "object") for (const k of Object.keys(v)) { s.add(p + "/" + k); walk(v[k], p + "/" + k); }
  };
  walk(value, "");
  return s;
}

/** Line diff (LCS on the middle after trimming the common ends). Returns rows {left, right, kind}. */
export function diffLines(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start].text === b[start].text) start++;
  let ea = a.length, eb = b.length;
  while (ea > start && eb > start && a[ea - 1].text === b[eb - 1].text) { ea--; eb--; }
  const A = a.slice(start, ea), B = b.slice(start, eb);
  const rows = [];
  for (let i = 0; i < start; i++) rows.push({ left: a[i], right: b[i], kind: "same" });
  if (A.length * B.length > 4e6) {
    A.forEach((l) => rows.push({ left: l, right: null, kind: "del" }));
    B.forEach((r) => rows.push({ left: null, right: r, kind: "add" }));
  } else {
    const n = A.length, m = B.length;
    const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
      dp[i][j] = A[i].text === B[j].text ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    let i = 0, j = 0;
    const dels = [], adds = [];
    const flush = () => {
      const k = Math.max(dels.length, adds.length);
      for (let x = 0; x < k; x++) rows.push({ left: dels[x] || null, right: adds[x] || null, kind: dels[x] && adds[x] ? "mod" : dels[x] ? "del" : "add" });
      dels.length = 0; adds.length = 0;
    };
    while (i < n || j < m) {
      if (i < n && j < m && A[i].text === B[j].text) { flush(); rows.push({ left: A[i], right: B[j], kind: "same" }); i++; j++; }
      else if (j < m && (i === n || dp[i][j + 1] >= dp[i + 1][j])) adds.push(B[j++]);
      else dels.push(A[i++]);
    }
    flush();
  }
  for (let i = ea; i < a.length; i++) rows.push({ left: a[i], right: b[i - ea + eb], kind: "same" });
  return rows;
}
