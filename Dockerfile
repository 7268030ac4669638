# groupchat image: one image for web (ASGI), worker and beat. Secrets come from the environment at run time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GROUPCHAT_VAR_DIR=/var/lib/groupchat
WORKDIR /app
# pango for WeasyPrint and the CJK font the packages' document.pdf embeds (compliance/package_pdf.py)
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml constraints.txt ./
COPY groupchat ./groupchat
COPY accounts ./accounts
COPY groups ./groups
COPY moderation ./moderation
COPY complaints ./complaints
COPY compliance ./compliance
RUN pip install --no-cache-dir -c constraints.txt .
COPY . .
RUN mkdir -p /var/lib/groupchat && useradd --system groupchat && chown groupchat /var/lib/groupchat
USER groupchat
EXPOSE 8000
CMD ["uvicorn", "groupchat.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--ws", "websockets-sansio", "--loop", "uvloop", "--proxy-headers"]
