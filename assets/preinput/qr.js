// QR code encoder for the pre-input page (madoguchi, GPL-3.0-or-later).
// Numeric mode only, error correction level M, versions 1-25 (ISO/IEC 18004): the code is
// digits only (the code, format 1), M survives glare and scratches on a phone screen, and a
// counter scanner reads up to version 25 (117 modules) from a phone at arm's length.
(function (root) {
  'use strict';

  // Level M, by version (index 0 unused): error correction codewords per block, and blocks.
  var EC_PER_BLOCK = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28];
  var BLOCKS = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21];
  var MAX_VERSION = 25;
  var EC_BITS_M = 0; // format information: L = 01, M = 00, Q = 11, H = 10

  // Modules that carry data (codewords and remainder bits) in a symbol of this version.
  function rawDataModules(ver) {
    var r = (16 * ver + 128) * ver + 64;
    if (ver >= 2) {
      var n = Math.floor(ver / 7) + 2;
      r -= (25 * n - 10) * n - 55;
      if (ver >= 7) r -= 36;
    }
    return r;
  }

  function dataCodewords(ver) {
    return Math.floor(rawDataModules(ver) / 8) - EC_PER_BLOCK[ver] * BLOCKS[ver];
  }

  function countBits(ver) {
    return ver <= 9 ? 10 : 12;
  }

  function numericBits(n) {
    return 10 * Math.floor(n / 3) + [0, 4, 7][n % 3];
  }

  // Largest number of digits a symbol of this version holds at level M.
  function capacity(ver) {
    var bits = dataCodewords(ver) * 8 - 4 - countBits(ver);
    var n = Math.floor(bits / 10) * 3;
    var rest = bits % 10;
    if (rest >= 7) n += 2;
    else if (rest >= 4) n += 1;
    return n;
  }

  // --- GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 ---
  var EXP = new Array(512);
  var LOG = new Array(256);
  (function () {
    var x = 1;
    for (var i = 0; i < 255; i++) {
      EXP[i] = x;
      LOG[x] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11d;
    }
    for (var j = 255; j < 512; j++) EXP[j] = EXP[j - 255];
  })();

  function mul(a, b) {
    return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
  }

  // Generator polynomial of degree n, highest power first without its leading 1.
  function generator(n) {
    var g = [1];
    for (var i = 0; i < n; i++) {
      var next = new Array(g.length + 1).fill(0);
      for (var j = 0; j < g.length; j++) {
        next[j] ^= g[j];
        next[j + 1] ^= mul(g[j], EXP[i]);
      }
      g = next;
    }
    return g.slice(1);
  }

  // Remainder of data(x) * x^n divided by the generator: the error correction codewords.
  function reedSolomon(data, n) {
    var g = generator(n);
    var rem = new Array(n).fill(0);
    for (var i = 0; i < data.length; i++) {
      var factor = data[i] ^ rem[0];
      rem.shift();
      rem.push(0);
      for (var j = 0; j < n; j++) rem[j] ^= mul(g[j], factor);
    }
    return rem;
  }

  // --- bit stream ---
  function dataBits(digits, ver) {
    var bits = [];
    function put(value, len) {
      for (var i = len - 1; i >= 0; i--) bits.push((value >>> i) & 1);
    }
    put(1, 4); // numeric mode indicator 0001
    put(digits.length, countBits(ver));
    for (var i = 0; i < digits.length; i += 3) {
      var group = digits.substring(i, i + 3);
      put(parseInt(group, 10), [0, 4, 7, 10][group.length]);
    }
    var capacityBits = dataCodewords(ver) * 8;
    put(0, Math.min(4, capacityBits - bits.length)); // terminator
    while (bits.length % 8 !== 0) bits.push(0);
    var bytes = [];
    for (var b = 0; b < bits.length; b += 8) {
      var v = 0;
      for (var k = 0; k < 8; k++) v = (v << 1) | bits[b + k];
      bytes.push(v);
    }
    for (var pad = 0xec; bytes.length < dataCodewords(ver); pad ^= 0xec ^ 0x11) bytes.push(pad);
    return bytes;
  }

  // Split into blocks, add error correction, interleave.
  function codewords(data, ver) {
    var nBlocks = BLOCKS[ver];
    var ecLen = EC_PER_BLOCK[ver];
    var raw = Math.floor(rawDataModules(ver) / 8);
    var shortLen = Math.floor(raw / nBlocks); // data + ec of a short block
    var longCount = raw % nBlocks;
    var blocks = [];
    var ecs = [];
    var at = 0;
    for (var i = 0; i < nBlocks; i++) {
      var len = shortLen - ecLen + (i >= nBlocks - longCount ? 1 : 0);
      var block = data.slice(at, at + len);
      at += len;
      blocks.push(block);
      ecs.push(reedSolomon(block, ecLen));
    }
    var out = [];
    var maxLen = shortLen - ecLen + (longCount > 0 ? 1 : 0);
    for (var c = 0; c < maxLen; c++) {
      for (var b = 0; b < nBlocks; b++) if (c < blocks[b].length) out.push(blocks[b][c]);
    }
    for (var e = 0; e < ecLen; e++) {
      for (var d = 0; d < nBlocks; d++) out.push(ecs[d][e]);
    }
    return out;
  }

  // --- the symbol ---
  function alignmentPositions(ver) {
    if (ver === 1) return [];
    var n = Math.floor(ver / 7) + 2;
    var size = ver * 4 + 17;
    var step = Math.ceil((ver * 4 + 4) / (n * 2 - 2)) * 2;
    var pos = [6];
    for (var p = size - 7; pos.length < n; p -= step) pos.splice(1, 0, p);
    return pos;
  }

  function Matrix(ver) {
    this.version = ver;
    this.size = ver * 4 + 17;
    this.dark = [];
    this.fixed = [];
    for (var y = 0; y < this.size; y++) {
      this.dark.push(new Array(this.size).fill(false));
      this.fixed.push(new Array(this.size).fill(false));
    }
  }

  Matrix.prototype.set = function (x, y, dark) {
    this.dark[y][x] = dark;
    this.fixed[y][x] = true;
  };

  Matrix.prototype.finder = function (cx, cy) {
    for (var dy = -4; dy <= 4; dy++) {
      for (var dx = -4; dx <= 4; dx++) {
        var x = cx + dx;
        var y = cy + dy;
        if (x < 0 || y < 0 || x >= this.size || y >= this.size) continue;
        var d = Math.max(Math.abs(dx), Math.abs(dy));
        this.set(x, y, d !== 2 && d !== 4);
      }
    }
  };

  Matrix.prototype.alignment = function (cx, cy) {
    for (var dy = -2; dy <= 2; dy++) {
      for (var dx = -2; dx <= 2; dx++) this.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  };

  Matrix.prototype.functionPatterns = function () {
    var s = this.size;
    for (var i = 0; i < s; i++) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    this.finder(3, 3);
    this.finder(s - 4, 3);
    this.finder(3, s - 4);
    var pos = alignmentPositions(this.version);
    for (var a = 0; a < pos.length; a++) {
      for (var b = 0; b < pos.length; b++) {
        var corner = (a === 0 && b === 0) || (a === 0 && b === pos.length - 1) || (a === pos.length - 1 && b === 0);
        if (!corner) this.alignment(pos[a], pos[b]);
      }
    }
    this.format(0); // reserve the format areas; drawn for real once the mask is chosen
    this.versionInfo();
  };

  Matrix.prototype.format = function (mask) {
    var data = (EC_BITS_M << 3) | mask;
    var rem = data;
    for (var i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    var bits = ((data << 10) | rem) ^ 0x5412;
    var bit = function (k) {
      return ((bits >>> k) & 1) !== 0;
    };
    var s = this.size;
    for (var a = 0; a <= 5; a++) this.set(8, a, bit(a));
    this.set(8, 7, bit(6));
    this.set(8, 8, bit(7));
    this.set(7, 8, bit(8));
    for (var b = 9; b < 15; b++) this.set(14 - b, 8, bit(b));
    for (var c = 0; c < 8; c++) this.set(s - 1 - c, 8, bit(c));
    for (var d = 8; d < 15; d++) this.set(8, s - 15 + d, bit(d));
    this.set(8, s - 8, true); // the dark module
  };

  Matrix.prototype.versionInfo = function () {
    if (this.version < 7) return;
    var rem = this.version;
    for (var i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    var bits = (this.version << 12) | rem;
    for (var k = 0; k < 18; k++) {
      var dark = ((bits >>> k) & 1) !== 0;
      var a = this.size - 11 + (k % 3);
      var b = Math.floor(k / 3);
      this.set(a, b, dark);
      this.set(b, a, dark);
    }
  };

  // Codewords in the two-column zigzag from the bottom right, skipping function modules.
  Matrix.prototype.place = function (cw) {
    var i = 0;
    var total = cw.length * 8;
    var s = this.size;
    for (var right = s - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (var vert = 0; vert < s; vert++) {
        for (var j = 0; j < 2; j++) {
          var x = right - j;
          var upward = ((right + 1) & 2) === 0;
          var y = upward ? s - 1 - vert : vert;
          if (this.fixed[y][x]) continue;
          if (i < total) this.dark[y][x] = ((cw[i >>> 3] >>> (7 - (i & 7))) & 1) !== 0;
          i++; // remainder bits stay light
        }
      }
    }
  };

  var MASKS = [
    function (x, y) { return (x + y) % 2 === 0; },
    function (x, y) { return y % 2 === 0; },
    function (x) { return x % 3 === 0; },
    function (x, y) { return (x + y) % 3 === 0; },
    function (x, y) { return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0; },
    function (x, y) { return ((x * y) % 2) + ((x * y) % 3) === 0; },
    function (x, y) { return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0; },
    function (x, y) { return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0; },
  ];

  Matrix.prototype.applyMask = function (m) {
    var f = MASKS[m];
    for (var y = 0; y < this.size; y++) {
      for (var x = 0; x < this.size; x++) if (!this.fixed[y][x] && f(x, y)) this.dark[y][x] = !this.dark[y][x];
    }
  };

  // The standard penalty: runs of five or more (N1 = 3), 2x2 blocks (N2 = 3), finder-like
  // 1:1:3:1:1 patterns with four light modules on a side (N3 = 40), dark share (N4 = 10).
  Matrix.prototype.penalty = function () {
    var s = this.size;
    var d = this.dark;
    var p = 0;
    var PATTERN_A = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0];
    var PATTERN_B = [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1];
    for (var pass = 0; pass < 2; pass++) {
      for (var i = 0; i < s; i++) {
        var at = pass === 0 ? function (k) { return d[i][k]; } : function (k) { return d[k][i]; };
        var run = 1;
        for (var k = 1; k <= s; k++) {
          if (k < s && at(k) === at(k - 1)) {
            run++;
          } else {
            if (run >= 5) p += 3 + (run - 5);
            run = 1;
          }
        }
        for (var start = 0; start + 11 <= s; start++) {
          var a = true;
          var b = true;
          for (var q = 0; q < 11; q++) {
            var v = at(start + q) ? 1 : 0;
            if (v !== PATTERN_A[q]) a = false;
            if (v !== PATTERN_B[q]) b = false;
          }
          if (a) p += 40;
          if (b) p += 40;
        }
      }
    }
    var darkCount = 0;
    for (var y = 0; y < s; y++) {
      for (var x = 0; x < s; x++) {
        if (d[y][x]) darkCount++;
        if (x + 1 < s && y + 1 < s && d[y][x] === d[y][x + 1] && d[y][x] === d[y + 1][x] && d[y][x] === d[y + 1][x + 1]) p += 3;
      }
    }
    var percent = (darkCount * 100) / (s * s);
    p += Math.floor(Math.abs(percent - 50) / 5) * 10;
    return p;
  };

  // The smallest version (<= maxVersion, at most 25) holding these digits; null when none does.
  function versionFor(length, maxVersion) {
    var top = Math.min(maxVersion || MAX_VERSION, MAX_VERSION);
    for (var v = 1; v <= top; v++) if (capacity(v) >= length) return v;
    return null;
  }

  // Encode a string of ASCII digits. Returns { version, size, mask, dark: rows of booleans }
  // or null when the digits do not fit in version maxVersion.
  function encodeNumeric(digits, maxVersion) {
    if (!/^[0-9]*$/.test(digits)) throw new Error('numeric mode takes digits only');
    var ver = versionFor(digits.length, maxVersion);
    if (ver === null) return null;
    var cw = codewords(dataBits(digits, ver), ver);
    var best = null;
    var bestPenalty = Infinity;
    for (var m = 0; m < 8; m++) {
      var sym = new Matrix(ver);
      sym.functionPatterns();
      sym.place(cw);
      sym.applyMask(m);
      sym.format(m);
      var pen = sym.penalty();
      if (pen < bestPenalty) {
        best = sym;
        bestPenalty = pen;
        best.mask = m;
      }
    }
    return { version: best.version, size: best.size, mask: best.mask, dark: best.dark };
  }

  // Draw with a quiet zone of 4 modules, `scale` pixels per module.
  function draw(qr, canvas, scale) {
    var border = 4;
    var px = (qr.size + border * 2) * scale;
    canvas.width = px;
    canvas.height = px;
    var g = canvas.getContext('2d');
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, px, px);
    g.fillStyle = '#000000';
    for (var y = 0; y < qr.size; y++) {
      for (var x = 0; x < qr.size; x++) if (qr.dark[y][x]) g.fillRect((x + border) * scale, (y + border) * scale, scale, scale);
    }
  }

  root.MadoguchiQR = {
    encodeNumeric: encodeNumeric,
    capacity: capacity,
    versionFor: versionFor,
    numericBits: numericBits,
    draw: draw,
    MAX_VERSION: MAX_VERSION,
  };
})(this);
