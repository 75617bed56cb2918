// The json-processor guest in JavaScript: `formatter` of example:json-tools, on the
// JavaScript engine componentize-js embeds (StarlingMonkey). `format` re-indents (keys
// sorted when asked), `minify` removes the whitespace; invalid JSON is an `err`.

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

function parse(input) {
  try {
    return { ok: JSON.parse(input) };
  } catch (e) {
    return { err: `invalid JSON: ${e.message}` };
  }
}

export const formatter = {
  format(input, options) {
    const parsed = parse(input);
    if ('err' in parsed) throw parsed.err;
    const indent = options ? options.indent : 2;
    const value = options && options.sortKeys ? sortKeys(parsed.ok) : parsed.ok;
    return JSON.stringify(value, null, indent);
  },
  minify(input) {
    const parsed = parse(input);
    if ('err' in parsed) throw parsed.err;
    return JSON.stringify(parsed.ok);
  },
};
