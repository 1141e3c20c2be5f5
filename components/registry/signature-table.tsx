import type { Signature, TensorSpec } from "@/lib/registry/schemas";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";

/**
 * `[batch, 3, 224, 224]`: symbolic dimensions (strings, e.g. a dynamic batch size) are styled
 * apart from fixed sizes so the dynamic axes stand out.
 */
export function TensorShape({ shape }: { shape: TensorSpec["shape"] }) {
  if (shape.length === 0)
    return (
      <span className="font-mono text-xs text-zinc-500" title="A scalar (rank 0)">
        []
      </span>
    );
  return (
    <span className="font-mono text-xs whitespace-nowrap text-zinc-800">
      [
      {shape.map((dimension, index) => (
        <span key={index}>
          {index > 0 && ", "}
          {typeof dimension === "string" ? (
            <span
              className="rounded bg-violet-50 px-1 text-violet-800 italic ring-1 ring-violet-200 ring-inset"
              title={`Named dimension "${dimension}": its size is set at run time`}
            >
              {dimension}
            </span>
          ) : dimension < 0 ? (
            <span className="text-violet-800 italic" title="Unknown size, set at run time">
              ?
            </span>
          ) : (
            dimension
          )}
        </span>
      ))}
      ]
    </span>
  );
}

function TensorRows({ heading, tensors }: { heading: string; tensors: TensorSpec[] }) {
  return (
    <>
      <tr className="bg-zinc-50/80">
        <th scope="colgroup" colSpan={3} className="px-3 py-1.5 text-xs font-semibold text-zinc-600">
          {heading} <span className="font-normal text-zinc-400">({tensors.length})</span>
        </th>
      </tr>
      {tensors.length === 0 ? (
        <tr>
          <td colSpan={3} className="px-3 py-2 text-zinc-400">
            None declared
          </td>
        </tr>
      ) : (
        tensors.map((tensor) => (
          <Tr key={`${heading}:${tensor.name}`}>
            <Td className="font-mono text-xs break-all text-zinc-900">{tensor.name}</Td>
            <Td className="font-mono text-xs text-zinc-700">{tensor.dtype}</Td>
            <Td>
              <TensorShape shape={tensor.shape} />
            </Td>
          </Tr>
        ))
      )}
    </>
  );
}

export function SignatureTable({ signature }: { signature: Signature }) {
  return (
    <Table aria-label="Model signature" data-testid="signature-table">
      <THead>
        <tr>
          <Th>Name</Th>
          <Th>Type</Th>
          <Th>Shape</Th>
        </tr>
      </THead>
      <TBody>
        <TensorRows heading="Inputs" tensors={signature.inputs} />
        <TensorRows heading="Outputs" tensors={signature.outputs} />
      </TBody>
    </Table>
  );
}
