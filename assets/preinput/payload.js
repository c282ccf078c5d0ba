// The pre-input code, format 1 (README, "Pre-input codes at the counter"): bytes "MD", 1, compact JSON, CRC-32 (big
// endian), written as digits in groups of 7 bytes (17 digits; a last group of k bytes takes
// D(k) digits). madoguchi, GPL-3.0-or-later.
(function (root) {
  'use strict';

  var FORMAT = 1;
  var DIGITS_OF = [0, 3, 5, 8, 10, 13, 15, 17];

  var CRC_TABLE = (function () {
    var t = [];
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t.push(c >>> 0);
    }
    return t;
  })();

  // zlib's crc32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF).
  function crc32(bytes) {
    var c = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  function toDigits(bytes) {
    var out = '';
    for (var i = 0; i < bytes.length; i += 7) {
      var k = Math.min(7, bytes.length - i);
      var v = BigInt(0);
      for (var j = 0; j < k; j++) v = v * BigInt(256) + BigInt(bytes[i + j]);
      out += v.toString().padStart(DIGITS_OF[k], '0');
    }
    return out;
  }

  // The bytes B of a body object (its keys in the order given: x, l, p, t, a).
  function toBytes(body) {
    var json = new TextEncoder().encode(JSON.stringify(body));
    var all = new Uint8Array(3 + json.length + 4);
    all[0] = 0x4d;
    all[1] = 0x44;
    all[2] = FORMAT;
    all.set(json, 3);
    var crc = crc32(all.subarray(0, 3 + json.length));
    var at = 3 + json.length;
    all[at] = (crc >>> 24) & 0xff;
    all[at + 1] = (crc >>> 16) & 0xff;
    all[at + 2] = (crc >>> 8) & 0xff;
    all[at + 3] = crc & 0xff;
    return all;
  }

  function encode(body) {
    return toDigits(toBytes(body));
  }

  // Local date YYYY-MM-DD `days` after `from` (a Date).
  function dateAfter(from, days) {
    var d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days);
    var p = function (n) {
      return String(n).padStart(2, '0');
    };
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate());
  }

  root.MadoguchiPayload = { encode: encode, toBytes: toBytes, toDigits: toDigits, crc32: crc32, dateAfter: dateAfter };
})(this);
