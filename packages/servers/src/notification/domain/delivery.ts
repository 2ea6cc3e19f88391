/** How a notification reaches its user. */
export type Channel = "LOG" | "WEBHOOK" | "EMAIL";

/** Where a notification's delivery stands: PENDING until delivered, or FAILED once the attempts are used up. */
export type DeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";
