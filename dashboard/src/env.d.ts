declare module "virtual:kkr-documents" {
  /** Operation name -> document id (`sha256:<hex>`) of frontend-contract/trusted-documents.json. */
  const documentIds: Record<string, string>;
  export default documentIds;
}
