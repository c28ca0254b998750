"""The names of evidence files, for pages that list an item's attachments: the events hold
only `sha256:<hex>`, the store keeps the name its first uploader gave (projections/files.py).

A file the caller may not download (api/files.py `may_read`) is left out of the answer, as
is a digest never uploaded: the same rule as GET /files/<sha256>, so a name cannot be
probed where the file cannot.
"""

from __future__ import annotations

import strawberry

from api.context import Context
from api.files import may_read
from domain.errors import InvalidInput
from domain.evidence import stored_digests
from projections import files

Info = strawberry.Info[Context, None]
MAX_REFERENCES = 100


@strawberry.type(description="佐证材料文件 / an evidence file as stored")
class EvidenceFile:
    sha256: str
    reference: str = strawberry.field(description="事件中的引用 / as events name it: sha256:<hex>")
    file_name: str = strawberry.field(description="上传时的文件名 / the name it was uploaded under")
    media_type: str
    size: int


@strawberry.type
class EvidenceFileQuery:
    @strawberry.field(
        description="按引用查佐证材料的文件名（无权读取或未上传的不返回）/ the stored files "
        "among these references, with their names; those the caller may not read are left out"
    )
    async def evidence_files(self, info: Info, references: list[str]) -> list[EvidenceFile]:
        if len(references) > MAX_REFERENCES:
            raise InvalidInput(
                "references",
                f"一次最多查询 {MAX_REFERENCES} 个文件 / at most {MAX_REFERENCES} references "
                "at a time",
            )
        context = info.context
        found: list[EvidenceFile] = []
        for digest in stored_digests([r.strip() for r in references]):
            if not await may_read(context.pool, context.user, digest):
                continue
            stored = await files.describe(context.pool, digest)
            if stored is not None:
                found.append(
                    EvidenceFile(
                        sha256=digest,
                        reference=f"sha256:{digest}",
                        file_name=stored.file_name,
                        media_type=stored.media_type,
                        size=stored.size,
                    )
                )
        return found
