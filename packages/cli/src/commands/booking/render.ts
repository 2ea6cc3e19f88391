import { booking as pb } from "@ticketing/sdk";
import type { Run } from "../../deps.js";
import { enumName, time } from "../../format.js";

export function showBookings(r: Run, bookings: pb.Booking[], empty: string): void {
  r.out.list(pb.BookingSchema, bookings, [
    { header: "ID", value: (b) => b.id },
    { header: "ORDER ID", value: (b) => b.orderId },
    { header: "TICKET ID", value: (b) => b.ticketId },
    { header: "QTY", value: (b) => String(b.quantity), align: "right" },
    { header: "STATUS", value: (b) => enumName(pb.BookingStatus, b.status, "") },
    { header: "EXPIRES", value: (b) => time(b.expiresAt) },
  ], empty);
}
