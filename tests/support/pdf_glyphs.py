"""The glyphs a PDF made by fpdf2 draws, by name, read back from its bytes (for the shaping test).

fpdf2 writes shaped text as 2-byte CIDs (Tj) and maps them to the embedded subset's glyph ids with a
CIDToGIDMap stream; the subset renames some glyphs, so each drawn glyph is named by finding the
original font's glyph with the same outline and advance: what was drawn, comparable with HarfBuzz's
shaping of the same text with the original font.
"""
from __future__ import annotations

import io
import re
import zlib

from fontTools.ttLib import TTFont

_OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m[1]): m[2] for m in _OBJ.finditer(pdf)}


def _stream(obj: bytes) -> bytes:
    data = re.search(rb"stream\r?\n(.*)\r?\nendstream", obj, re.S)[1]
    return zlib.decompress(data) if b"/FlateDecode" in obj.split(b"stream")[0] else data


def _ref(obj: bytes, key: bytes) -> int:
    return int(re.search(rb"/" + key + rb"\s*\[?\s*(\d+) 0 R", obj)[1])


def _literal_strings(content: bytes) -> list[bytes]:
    """The operands of every Tj, unescaped as PDF literal strings are."""
    out, i = [], 0
    while (i := content.find(b"(", i)) != -1:
        buf, i, depth = bytearray(), i + 1, 1
        while True:
            c = content[i]
            if c == 0x5C:  # backslash: \n \r \t \b \f, an octal code, or the next byte itself
                nxt = content[i + 1:i + 2]
                octal = re.match(rb"[0-7]{1,3}", content[i + 1:i + 4])
                if octal:
                    buf.append(int(octal[0], 8))
                    i += 1 + len(octal[0])
                    continue
                buf.append({b"n": 10, b"r": 13, b"t": 9, b"b": 8, b"f": 12}.get(nxt, nxt[0]))
                i += 2
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    break
            buf.append(c)
            i += 1
        i += 1
        if content[i:].lstrip().startswith(b"Tj"):
            out.append(bytes(buf))
    return out


def _shape(font: TTFont, name: str) -> tuple:
    glyf = font["glyf"]
    coords, ends, _ = glyf[name].getCoordinates(glyf)
    return tuple(coords), tuple(ends), font["hmtx"][name][0]


def drawn_glyph_names(pdf: bytes, original: str, page: int = 0) -> list[frozenset]:
    """For every glyph drawn on ``page`` in order, the names of the glyphs of ``original`` (a font
    file) it can be (identical outlines share one answer); one font on the page: one line drawn."""
    objs = _objects(pdf)
    pages = [o for o in objs.values() if re.search(rb"/Type\s*/Page\b", o)]
    content = _stream(objs[_ref(pages[page], b"Contents")])
    font_name = re.search(rb"/(\w+)\s+[\d.]+\s+Tf", content)[1]
    resources = objs[_ref(pages[page], b"Resources")] if b"/Resources" in pages[page] and \
        re.search(rb"/Resources\s+\d+ 0 R", pages[page]) else pages[page]
    fonts = re.search(rb"/Font\s*<<(.*?)>>", resources, re.S)[1]
    font = objs[int(re.search(rb"/" + font_name + rb"\s+(\d+) 0 R", fonts)[1])]
    cid_font = objs[_ref(font, b"DescendantFonts")]
    cid_to_gid = _stream(objs[_ref(cid_font, b"CIDToGIDMap")])
    subset = TTFont(io.BytesIO(_stream(objs[_ref(objs[_ref(cid_font, b"FontDescriptor")], b"FontFile2")])))
    source = TTFont(original)
    by_shape: dict[tuple, set] = {}
    for name in source.getGlyphOrder():
        by_shape.setdefault(_shape(source, name), set()).add(name)
    order = subset.getGlyphOrder()
    names = []
    for text in _literal_strings(content):
        for k in range(0, len(text) - 1, 2):
            cid = int.from_bytes(text[k:k + 2], "big")
            glyph = order[int.from_bytes(cid_to_gid[2 * cid:2 * cid + 2], "big")]
            names.append(frozenset(by_shape.get(_shape(subset, glyph), ())))
    return names
