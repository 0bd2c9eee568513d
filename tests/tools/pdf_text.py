#!/usr/bin/env python3
"""Prints the text of each page of a PDF, for tests that ask what a page says.

Usage: pdf_text.py FILE.pdf
Prints one JSON object: {"pages": [{"width": w, "height": h, "text": "..."}]},
sizes in points, text one line per text object (BT..ET), in drawing order.

Standard library only. Reads what Chromium (Skia) writes: uncompressed
object table, Flate-compressed content streams, Type0 fonts with ToUnicode
maps, form XObjects. It is not a general PDF parser.
"""
import json
import re
import sys
import zlib

OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
REF = rb"(\d+) 0 R"


def fail(msg):
    sys.exit("pdf_text: " + msg)


class Pdf:
    def __init__(self, data):
        self.objs = {int(m.group(1)): m.group(2) for m in OBJ.finditer(data)}
        self.cmaps = {}

    def dict_of(self, num):
        body = self.objs[num]
        i = body.find(b"stream")
        return body[:i] if i >= 0 else body

    def stream(self, num):
        body = self.objs[num]
        m = re.search(rb"stream\r?\n", body)
        if not m:
            fail(f"object {num} has no stream")
        data = body[m.end() : body.rindex(b"endstream")]
        if b"/FlateDecode" in body[: m.start()]:
            data = zlib.decompressobj().decompress(data)
        return data

    def value(self, text, key):
        """The text of key's value in a dictionary: a reference, a dict or an array."""
        m = re.search(rb"/" + key + rb"\s*", text)
        if not m:
            return None
        rest = text[m.end() :]
        if rest.startswith(b"<<"):
            depth, i = 0, 0
            while i < len(rest):
                if rest.startswith(b"<<", i):
                    depth, i = depth + 1, i + 2
                elif rest.startswith(b">>", i):
                    depth, i = depth - 1, i + 2
                    if depth == 0:
                        return rest[:i]
                else:
                    i += 1
        if rest.startswith(b"["):
            return rest[: rest.index(b"]") + 1]
        m = re.match(REF, rest)
        if m:
            return m.group(0)
        m = re.match(rb"[^\s/>\]]+", rest)
        return m.group(0) if m else None

    def resolve(self, text):
        """A dictionary given inline or by reference."""
        m = re.fullmatch(REF, text or b"")
        return self.dict_of(int(m.group(1))) if m else text

    def refs(self, text):
        return [int(n) for n in re.findall(REF, text or b"")]

    def pages(self):
        roots = [n for n, b in self.objs.items() if re.search(rb"/Type\s*/Pages\b", b)]
        roots = [n for n in roots if b"/Parent" not in self.dict_of(n)]
        if len(roots) != 1:
            fail("no single page tree root")
        out = []

        def walk(num):
            d = self.dict_of(num)
            if re.search(rb"/Type\s*/Pages\b", d):
                for kid in self.refs(self.value(d, b"Kids")):
                    walk(kid)
            else:
                out.append(num)

        walk(roots[0])
        return out

    def cmap(self, font_num):
        if font_num in self.cmaps:
            return self.cmaps[font_num]
        table = {}
        ref = self.value(self.dict_of(font_num), b"ToUnicode")
        if ref:
            text = self.stream(self.refs(ref)[0]).decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
                for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
            for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
                for lo, hi, dst in re.findall(
                    r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", block
                ):
                    lo, hi = int(lo, 16), int(hi, 16)
                    if dst.startswith("["):
                        for k, d in enumerate(re.findall(r"<([0-9A-Fa-f]+)>", dst)):
                            table[lo + k] = bytes.fromhex(d).decode("utf-16-be", "replace")
                    else:
                        base = int(dst[1:-1], 16)
                        for code in range(lo, hi + 1):
                            table[code] = chr(base + code - lo)
        self.cmaps[font_num] = table
        return table

    def decode(self, font_num, hexstr):
        table = self.cmap(font_num) if font_num else {}
        raw = bytes.fromhex(hexstr.decode() + ("0" if len(hexstr) % 2 else ""))
        if b"/Type0" in self.dict_of(font_num or 0) if font_num else False:
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
        else:
            codes = list(raw)
        return "".join(table.get(c, "") for c in codes)

    def text(self, content, resources, lines):
        fonts = self.resolve(self.value(resources, b"Font")) or b""
        xobjects = self.resolve(self.value(resources, b"XObject")) or b""
        tokens = re.findall(rb"/[^\s/<>\[\]()]+|<[0-9A-Fa-f\s]*>|\[|\]|\([^)]*\)|[^\s/<>\[\]()]+", content)
        stack, font, current = [], None, []
        for tok in tokens:
            if tok == b"Tf" and len(stack) >= 2:
                ref = self.value(fonts, stack[-2][1:])
                font = self.refs(ref)[0] if ref else None
                stack = []
            elif tok in (b"Tj", b"TJ"):
                for s in stack:
                    if s.startswith(b"<") and not s.startswith(b"<<"):
                        current.append(self.decode(font, re.sub(rb"\s", b"", s[1:-1])))
                stack = []
            elif tok == b"ET":
                if current:
                    lines.append("".join(current))
                current = []
                stack = []
            elif tok == b"Do" and stack:
                ref = self.value(xobjects, stack[-1][1:])
                num = self.refs(ref)[0] if ref else None
                if num and b"/Form" in self.dict_of(num):
                    sub = self.resolve(self.value(self.dict_of(num), b"Resources")) or resources
                    self.text(self.stream(num), sub, lines)
                stack = []
            elif re.fullmatch(rb"[A-Za-z'\"*]+", tok) and tok not in (b"true", b"false"):
                stack = []
            else:
                stack.append(tok)


def main():
    if len(sys.argv) != 2:
        fail("usage: pdf_text.py FILE.pdf")
    with open(sys.argv[1], "rb") as f:
        pdf = Pdf(f.read())
    pages = []
    for num in pdf.pages():
        d = pdf.dict_of(num)
        box = [float(x) for x in pdf.value(d, b"MediaBox").strip(b"[]").split()]
        resources = pdf.resolve(pdf.value(d, b"Resources")) or b""
        lines = []
        for c in pdf.refs(pdf.value(d, b"Contents")):
            pdf.text(pdf.stream(c), resources, lines)
        pages.append({"width": box[2] - box[0], "height": box[3] - box[1], "text": "\n".join(lines)})
    print(json.dumps({"pages": pages}, ensure_ascii=False))


if __name__ == "__main__":
    main()
