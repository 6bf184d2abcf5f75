"""Reading the QR codes the app serves, as a phone would: the image to pixels, zxing-cpp to text.

The PNG reader takes what the app writes (greyscale, no filters); the SVG reader draws segno's
path (a row of dark modules is a horizontal line) into pixels. Neither trusts the app's own code.
"""

from __future__ import annotations

import re
import struct
import zlib

import zxingcpp

PIXELS_PER_MODULE = 4


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """A greyscale PNG as (width, height, one byte per pixel, 0 black .. 255 white)."""
    width, height = png_size(data)
    depth, colour = data[24], data[25]
    assert colour == 0 and depth in (1, 8), f"greyscale expected, got colour type {colour}, depth {depth}"
    chunks, at = [], 8
    while at < len(data):
        (length,), tag = struct.unpack(">I", data[at : at + 4]), data[at + 4 : at + 8]
        if tag == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = (width * depth + 7) // 8
    pixels = bytearray()
    for y in range(height):
        row = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        assert row[0] == 0, "only unfiltered rows are read here"
        if depth == 8:
            pixels += row[1:]
        else:
            bits = "".join(f"{byte:08b}" for byte in row[1:])[:width]
            pixels += bytes(255 if bit == "1" else 0 for bit in bits)
    return width, height, bytes(pixels)


def svg_pixels(svg: bytes) -> tuple[int, int, bytes]:
    """segno's SVG drawn as greyscale pixels: its dark path's lines are runs of modules."""
    text = svg.decode()
    width = int(re.search(r'viewBox="0 0 (\d+) \d+"', text).group(1))
    scale = int(re.search(r'scale\((\d+)\)', text).group(1))
    path = re.search(r'<path[^>]*class="qrline"[^>]*\sd="([^"]+)"', text).group(1)
    modules = width // scale
    grid = [[255] * modules for _ in range(modules)]
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", path):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            end = x + numbers[0] if command == "h" else numbers[0]
            for column in range(int(x), int(end)):
                grid[int(y)][column] = 0
            x = end
    side = modules * PIXELS_PER_MODULE
    rows = (bytes(value for value in line for _ in range(PIXELS_PER_MODULE)) for line in grid)
    return side, side, b"".join(row for row in rows for _ in range(PIXELS_PER_MODULE))


def decode(width: int, height: int, pixels: bytes) -> str:
    """The text of the QR code in greyscale pixels (AssertionError when none is found)."""
    barcode = zxingcpp.read_barcode(memoryview(pixels).cast("B", (height, width)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert barcode is not None and barcode.valid, "no QR code found in the image"
    return barcode.text


def decode_png(data: bytes) -> str:
    return decode(*png_pixels(data))


def decode_svg(data: bytes) -> str:
    return decode(*svg_pixels(data))
