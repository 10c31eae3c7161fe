/**
 * Browser source of `parseAnsi(text)`: splits a line into segments with SGR state as CSS classes
 * (ansi-30..37, 90..97, 40..47, 100..107, ansi-bold/dim/italic/underline) or, for 256/true colours,
 * a CSS colour applied through the DOM (allowed under the CSP). Text is never parsed as HTML.
 * Kept as plain ES2017 source so it can be served as-is and run in node:vm by the unit tests.
 */
export const ANSI_SCRIPT = String.raw`
function parseAnsi(text) {
  var out = [];
  var st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
  var re = /\x1b\[([0-9;]*)m/g;
  var last = 0;
  var m;
  function palette(n, base, brightBase) {
    if (!(n >= 0 && n <= 255)) return null;
    if (n < 8) return base + n;
    if (n < 16) return brightBase + n - 8;
    if (n >= 232) { var g = 8 + (n - 232) * 10; return 'rgb(' + g + ',' + g + ',' + g + ')'; }
    var c = n - 16, steps = [0, 95, 135, 175, 215, 255];
    return 'rgb(' + steps[Math.floor(c / 36)] + ',' + steps[Math.floor(c / 6) % 6] + ',' + steps[c % 6] + ')';
  }
  function channel(v) { return v >= 0 && v <= 255 ? v : 0; }
  function apply(params) {
    var codes = params === '' ? [0] : params.split(';').map(Number);
    for (var k = 0; k < codes.length; k++) {
      var c = codes[k];
      if (c === 0) { st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false }; }
      else if (c === 1) st.bold = true;
      else if (c === 2) st.dim = true;
      else if (c === 3) st.italic = true;
      else if (c === 4) st.underline = true;
      else if (c === 22) { st.bold = false; st.dim = false; }
      else if (c === 23) st.italic = false;
      else if (c === 24) st.underline = false;
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) st.fg = c;
      else if (c === 39) st.fg = null;
      else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) st.bg = c;
      else if (c === 49) st.bg = null;
      else if (c === 38 || c === 48) {
        var colour = null;
        if (codes[k + 1] === 5) { colour = palette(codes[k + 2], c === 38 ? 30 : 40, c === 38 ? 90 : 100); k += 2; }
        else if (codes[k + 1] === 2) { colour = 'rgb(' + channel(codes[k + 2]) + ',' + channel(codes[k + 3]) + ',' + channel(codes[k + 4]) + ')'; k += 4; }
        if (c === 38) st.fg = colour; else st.bg = colour;
      }
    }
  }
  function push(s) {
    var cls = [];
    var seg = { text: s, cls: '', fg: null, bg: null };
    if (typeof st.fg === 'number') cls.push('ansi-' + st.fg); else if (st.fg) seg.fg = st.fg;
    if (typeof st.bg === 'number') cls.push('ansi-' + st.bg); else if (st.bg) seg.bg = st.bg;
    if (st.bold) cls.push('ansi-bold');
    if (st.dim) cls.push('ansi-dim');
    if (st.italic) cls.push('ansi-italic');
    if (st.underline) cls.push('ansi-underline');
    seg.cls = cls.join(' ');
    out.push(seg);
  }
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) push(text.slice(last, m.index));
    apply(m[1]);
    last = re.lastIndex;
  }
  if (last < text.length) push(text.slice(last));
  return out;
}
`;
