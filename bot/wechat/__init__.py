"""The WeChat transport: callback XML, signatures and AES, the edge guard, the 客服 window and outbox, the
official API client, and the WeChat-server stand-in the tests and the demo drive."""
