import qrcode from "qrcode-generator";

/**
 * A QR code drawn with block characters, two modules per character cell, light modules as blocks: on a dark
 * terminal that reads as dark-on-light, which phone cameras need. A quiet zone of two modules surrounds it.
 */
export function qrText(data: string): string {
  const qr = qrcode(0, "M");
  qr.addData(data, "Byte");
  qr.make();
  const size = qr.getModuleCount();
  const quiet = 2;
  const light = (row: number, col: number) =>
    row < 0 || col < 0 || row >= size || col >= size ? true : !qr.isDark(row, col);
  const lines: string[] = [];
  for (let row = -quiet; row < size + quiet; row += 2) {
    let line = "";
    for (let col = -quiet; col < size + quiet; col++) {
      const top = light(row, col);
      const bottom = row + 1 >= size + quiet ? false : light(row + 1, col);
      line += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    lines.push(line);
  }
  return lines.join("\n");
}
