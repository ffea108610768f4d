/**
 * The whiteout names of the OCI image spec ("Whiteouts", after AUFS): `.wh.<name>` hides `<name>` of lower layers,
 * `.wh..wh..opq` in a directory hides everything lower layers put there. Written by the diff, read by the unpacker.
 */
export const whiteoutPrefix = '.wh.';
export const opaqueWhiteout = '.wh..wh..opq';
