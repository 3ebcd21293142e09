import onnxProto from 'onnx-proto';
import type { onnx as OnnxNamespace } from 'onnx-proto';

/** The generated protobufjs classes of onnx.proto. Only export/ imports this. */
export const onnx = (onnxProto as unknown as { onnx: typeof OnnxNamespace }).onnx;
