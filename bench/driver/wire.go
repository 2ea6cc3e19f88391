package main

// The few messages the driver sends, encoded by hand from the field numbers in proto/ticketing/*/v1, and the one
// error detail it reads. Generated Go code would mean a second code generator in the repository for three
// requests.

import (
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

const (
	addToCartPath  = "/ticketing.checkout.v1.CheckoutService/AddToCart"
	updateCartPath = "/ticketing.checkout.v1.CheckoutService/UpdateCart"
	placeOrderPath = "/ticketing.checkout.v1.CheckoutService/PlaceOrder"

	insufficientStockType = "type.googleapis.com/ticketing.booking.v1.InsufficientStock"
)

// cartChange encodes AddToCartRequest and UpdateCartRequest, which share their fields:
// 1 idempotency_key, 2 ticket_id, 3 quantity.
func cartChange(key, ticketID string, quantity int) []byte {
	b := make([]byte, 0, 16+len(key)+len(ticketID))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, key)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, ticketID)
	if quantity != 0 {
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(quantity))
	}
	return b
}

// placeOrder encodes PlaceOrderRequest: 1 idempotency_key.
func placeOrder(key string) []byte {
	b := make([]byte, 0, 4+len(key))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendString(b, key)
}

// createBooking encodes CreateBookingRequest: 2 order_id, 3 items (BookingItem: 1 ticket_id, 2 quantity).
func createBooking(orderID, ticketID string, quantity int) []byte {
	item := make([]byte, 0, 8+len(ticketID))
	item = protowire.AppendTag(item, 1, protowire.BytesType)
	item = protowire.AppendString(item, ticketID)
	item = protowire.AppendTag(item, 2, protowire.VarintType)
	item = protowire.AppendVarint(item, uint64(quantity))
	b := make([]byte, 0, 8+len(orderID)+len(item))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, orderID)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	return protowire.AppendBytes(b, item)
}

// shortageOf reads ticketing.booking.v1.InsufficientStock (1: repeated Shortage) and returns the `available` of
// ticketID's Shortage (1 ticket_id, 2 requested, 3 available), and whether there was one.
func shortageOf(detail []byte, ticketID string) (available int64, found bool) {
	for len(detail) > 0 {
		num, typ, n := protowire.ConsumeTag(detail)
		if n < 0 {
			return 0, false
		}
		detail = detail[n:]
		if num == 1 && typ == protowire.BytesType {
			shortage, m := protowire.ConsumeBytes(detail)
			if m < 0 {
				return 0, false
			}
			detail = detail[m:]
			if id, avail := readShortage(shortage); strings.EqualFold(id, ticketID) {
				return avail, true
			}
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, detail)
		if m < 0 {
			return 0, false
		}
		detail = detail[m:]
	}
	return 0, false
}

func readShortage(b []byte) (ticketID string, available int64) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", 0
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			s, m := protowire.ConsumeString(b)
			if m < 0 {
				return "", 0
			}
			ticketID, b = s, b[m:]
		case num == 3 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return "", 0
			}
			available, b = int64(int32(v)), b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return "", 0
			}
			b = b[m:]
		}
	}
	return ticketID, available
}
