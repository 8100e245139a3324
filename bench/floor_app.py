"""The floor: a bare FastAPI endpoint answering `success`, to compare the full gateway against."""
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.post("/wechat")
async def wechat() -> PlainTextResponse:
    return PlainTextResponse("success")
